import assert from "node:assert/strict";
import { test } from "node:test";
import { mul, type Params, Rng, sum, tensor, valueAndGrad } from "../../src/core/index.ts";
import {
  adam,
  clipGradNorm,
  cloneParams,
  globalNorm,
  type Optimizer,
  paramsFromJson,
  paramsToJson,
  sgd,
} from "../../src/nn/index.ts";

const quad = valueAndGrad((p) => sum(mul(p.x, p.x))); // f = |x|^2, grad = 2x

test("Adam on f = x^2 matches the first two steps computed by hand (Kingma & Ba Alg. 1), to 1e-15", () => {
  const p = { x: tensor([1]) };
  const opt = adam({ lr: 0.1 });
  const st = opt.init(p);
  opt.step(p, quad(p).grads, st);
  // t=1: g=2, m=0.2, v=0.004, m_hat=2, v_hat=4 -> x = 1 - 0.1 * 2 / (2 + 1e-8)
  const x1 = 1 - (0.1 * 2) / (2 + 1e-8);
  assert.ok(Math.abs(p.x.data[0] - x1) < 1e-15);
  opt.step(p, quad(p).grads, st);
  const g = 2 * x1;
  const m = 0.9 * 0.2 + 0.1 * g;
  const v = 0.999 * 0.004 + 0.001 * g * g;
  const x2 = x1 - (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
  assert.ok(Math.abs(p.x.data[0] - x2) < 1e-15, `${p.x.data[0]} vs ${x2}`);
  assert.equal(st.step, 2);
});

test("SGD with momentum: v = mu v + g; x -= lr v (two steps by hand)", () => {
  const p = { x: tensor([1, -2]) };
  const opt = sgd({ lr: 0.1, momentum: 0.9 });
  const st = opt.init(p);
  opt.step(p, quad(p).grads, st); // v = [2, -4], x = [0.8, -1.6]
  opt.step(p, quad(p).grads, st); // v = 0.9 v + [1.6, -3.2] = [3.4, -6.8], x = [0.46, -0.92]
  assert.ok(Math.abs(p.x.data[0] - 0.46) < 1e-15 && Math.abs(p.x.data[1] + 0.92) < 1e-15);
  const plain = sgd({ lr: 0.25 });
  const q = { x: tensor([1]) };
  plain.step(q, quad(q).grads, plain.init(q));
  assert.equal(q.x.data[0], 0.5);
});

for (const make of [() => adam({ lr: 0.05 }), () => sgd({ lr: 0.05, momentum: 0.8 })]) {
  test(`${make().init({}).kind}: state survives a JSON round trip and continues bit-identically`, () => {
    const rng = new Rng(9);
    const p: Params = {
      a: tensor(rng.fillNormal(new Float64Array(5)) as Float64Array),
      b: tensor([0.3, 0.1]),
    };
    const f = valueAndGrad((q) => sum(mul(mul(q.a, q.a), sum(mul(q.b, q.b)))));
    const opt = make() as unknown as Optimizer;
    const st = opt.init(p);
    for (let i = 0; i < 3; i++) opt.step(p, f(p).grads, st);
    const p2 = paramsFromJson(JSON.parse(JSON.stringify(paramsToJson(p))));
    const st2 = JSON.parse(JSON.stringify(st));
    for (let i = 0; i < 3; i++) {
      opt.step(p, f(p).grads, st);
      opt.step(p2, f(p2).grads, st2);
    }
    assert.deepEqual(p2, p);
    assert.deepEqual(st2, st);
  });
}

test("globalNorm and clipGradNorm", () => {
  const g = { a: new Float64Array([3, 0]), b: new Float64Array([4]) };
  assert.equal(globalNorm(g), 5);
  assert.equal(clipGradNorm(g, 10), 5); // under the limit: untouched
  assert.deepEqual(Array.from(g.a), [3, 0]);
  assert.equal(clipGradNorm(g, 1), 5);
  assert.ok(Math.abs(globalNorm(g) - 1) < 1e-15);
  assert.deepEqual(Array.from(g.b), [0.8]);
});

test("optimizer errors name the parameter and the expectation", () => {
  const p = { x: tensor([1, 2]) };
  assert.throws(() => adam({ lr: -1 }), /adam: lr must be a finite number > 0, got -1/);
  assert.throws(() => adam({ lr: 1, beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/);
  const opt = adam({ lr: 0.1 });
  const st = opt.init(p);
  assert.throws(
    () => opt.step(p, { x: new Float64Array(3) }, st),
    /adam.step: grads\["x"\] has 3 elements, expected 2/,
  );
  assert.throws(
    () =>
      opt.step({ ...p, y: tensor([1]) }, { x: new Float64Array(2), y: new Float64Array(1) }, st),
    /no buffer of 1 elements for "y"/,
  );
});

test("cloneParams copies data", () => {
  const p = { x: tensor([1, 2]) };
  const c = cloneParams(p);
  c.x.data[0] = 5;
  assert.equal(p.x.data[0], 1);
});

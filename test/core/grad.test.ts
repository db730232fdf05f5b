import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../src/core/index.ts";
import { tensor } from "../../src/core/index.ts";
import { Tape } from "../../src/core/tensor.ts";

test("10,000-step unroll: x_T = x0 * c^T, d/dc matches the closed form T x0 c^(T-1)", () => {
  const steps = 10_000;
  const f = T.valueAndGrad((p) => {
    let x: T.Tensor = p.x0;
    for (let t = 0; t < steps; t++) x = T.mul(x, p.c);
    return T.sum(x);
  });
  const c = 1.0001;
  const { value, grads } = f({ x0: tensor([0.5]), c: tensor([c]) });
  const exact = steps * 0.5 * c ** (steps - 1);
  // Tolerance: 10,000 chained roundings of a product, so ~1e4 ulps relative at most.
  assert.ok(Math.abs(value - 0.5 * c ** steps) / value < 1e-11);
  assert.ok(Math.abs(grads.c[0] - exact) / exact < 1e-11, `${grads.c[0]} vs ${exact}`);
  assert.ok(Math.abs(grads.x0[0] - c ** steps) / c ** steps < 1e-11);
});

test("10,000-step nonlinear unroll: gradient matches central differences (rel 1e-6)", () => {
  const steps = 10_000;
  const loss = (p: T.Params) => {
    let x: T.Tensor = p.x0;
    for (let t = 0; t < steps; t++) x = T.add(x, T.mul(T.tanh(T.mul(x, p.w)), 0.001));
    return T.sum(x);
  };
  const p = { x0: tensor([0.3, -0.2]), w: tensor([0.7, 1.1]) };
  const { grads } = T.valueAndGrad(loss)(p);
  const h = 1e-6;
  for (const name of ["x0", "w"] as const) {
    for (let i = 0; i < 2; i++) {
      const v = p[name].data[i];
      p[name].data[i] = v + h;
      const up = loss(p).item();
      p[name].data[i] = v - h;
      const down = loss(p).item();
      p[name].data[i] = v;
      const num = (up - down) / (2 * h);
      assert.ok(
        Math.abs(num - grads[name][i]) / Math.abs(num) < 1e-6,
        `${name}[${i}]: ${grads[name][i]} vs ${num}`,
      );
    }
  }
});

test("unused parameters get zero gradients; a constant f gets all zeros", () => {
  const p = { a: tensor([1, 2]), b: tensor([3]) };
  const g1 = T.valueAndGrad((q) => T.sum(T.mul(q.a, 2)))(p).grads;
  assert.deepEqual(Array.from(g1.a), [2, 2]);
  assert.deepEqual(Array.from(g1.b), [0]);
  const g2 = T.valueAndGrad(() => T.sum(tensor([5])))(p);
  assert.equal(g2.value, 5);
  assert.deepEqual(Array.from(g2.grads.a), [0, 0]);
});

test("a tensor under two names: each name gets the full gradient in its own array", () => {
  const w = tensor([1, 2]);
  const { grads } = T.valueAndGrad((q) => T.sum(T.mul(q.u, q.v)))({ u: w, v: w });
  assert.deepEqual(Array.from(grads.u), [2, 4]);
  assert.deepEqual(Array.from(grads.v), [2, 4]);
  assert.notEqual(grads.u, grads.v);
});

test("gradients are fresh per call by default, reused with reuseGrads", () => {
  const p = { a: tensor([1, 2]) };
  const f = T.valueAndGrad((q) => T.sum(T.mul(q.a, q.a)));
  const g1 = f(p).grads.a;
  const g2 = f(p).grads.a;
  assert.notEqual(g1, g2);
  assert.deepEqual(Array.from(g1), [2, 4]);
  const r = T.valueAndGrad((q) => T.sum(T.mul(q.a, q.a)), { reuseGrads: true });
  const r1 = r(p).grads.a;
  p.a.data[0] = 3;
  const r2 = r(p).grads.a;
  assert.equal(r1, r2);
  assert.deepEqual(Array.from(r2), [6, 4]); // zeroed between calls, not accumulated
});

test("reuseGrads follows the params object: new names, sizes and shared tensors", () => {
  const f = T.valueAndGrad((q) => T.sum(T.mul(q.a, q.b)), { reuseGrads: true });
  const first = f({ a: tensor([1, 2]), b: tensor([3, 4]) }).grads;
  const again = f({ a: tensor([5, 6]), b: tensor([7, 8]) }).grads;
  assert.equal(again, first); // same names and sizes: the same record and arrays
  assert.deepEqual(Array.from(again.a), [7, 8]);
  assert.deepEqual(Array.from(again.b), [5, 6]);
  const longer = f({ a: tensor([1, 2, 3]), b: tensor([1, 1, 1]) }).grads;
  assert.deepEqual(Array.from(longer.a), [1, 1, 1]);
  const reordered = f({ b: tensor([2, 0]), a: tensor([0, 3]) }).grads;
  assert.deepEqual(Object.keys(reordered), ["b", "a"]);
  assert.deepEqual(Array.from(reordered.a), [2, 0]);
  assert.deepEqual(Array.from(reordered.b), [0, 3]);
  f({ a: tensor([9, 9]), b: tensor([9, 9]) }); // kept again under a, b, with these sizes
  const w = tensor([1, 2]);
  const shared = f({ a: w, b: w }).grads;
  assert.deepEqual(Array.from(shared.a), [2, 4]);
  assert.deepEqual(Array.from(shared.b), [2, 4]);
  assert.notEqual(shared.a, shared.b);
  const after = f({ a: tensor([1, 1]), b: tensor([2, 3]) }).grads;
  assert.deepEqual(Array.from(after.a), [2, 3]);
  assert.deepEqual(Array.from(after.b), [1, 1]);
  assert.throws(
    () => f({ a: tensor([1, 2]), b: [1, 2] as unknown as T.Tensor }),
    /params\["b"\] is not a Tensor/,
  );
  assert.deepEqual(Array.from(f({ a: tensor([1, 2]), b: tensor([0, 1]) }).grads.a), [0, 1]);
});

test("repeated calls give identical results (arena reuse leaks nothing between calls)", () => {
  const p = { w: tensor([0.1, -0.4, 0.3, 0.2], [2, 2]), b: tensor([0.05, -0.1]) };
  const x = tensor([1, 2, -1, 0.5, 0.3, -0.7], [3, 2]);
  const f = T.valueAndGrad((q) =>
    T.mean(T.logSoftmaxGather(T.dense(x, q.w, q.b, "tanh"), [0, 1, 1])),
  );
  const a = f(p);
  const b = f(p);
  assert.equal(a.value, b.value);
  assert.deepEqual(a.grads, b.grads);
});

test("valueAndGrad errors: non-scalar output, nested calls", () => {
  const p = { a: tensor([1, 2]) };
  assert.throws(
    () => T.valueAndGrad((q) => T.mul(q.a, 2))(p),
    /f must return a scalar Tensor \(size 1\), got shape \[2\]/,
  );
  const inner = T.valueAndGrad((q) => T.sum(q.a));
  assert.throws(
    () =>
      T.valueAndGrad((q) => {
        inner(q);
        return T.sum(q.a);
      })(p),
    /nested calls are not supported/,
  );
  // After an error, the parameters are untracked again: ops outside a tape record nothing.
  assert.deepEqual(Array.from(T.valueAndGrad((q) => T.sum(T.mul(q.a, 3)))(p).grads.a), [3, 3]);
});

test("determinism: the same seed gives bit-identical values and gradients", () => {
  const run = (seed: number) => {
    const rng = new T.Rng(seed);
    const w = tensor(rng.fillNormal(new Float64Array(12)), [4, 3]);
    const x = tensor(rng.fillNormal(new Float64Array(20)), [5, 4]);
    return T.valueAndGrad((q) => T.mean(T.logSoftmax(T.dense(x, q.w, null, "elu"))))({ w });
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7).value, run(8).value);
});

test("the tape's arena keeps one backing store per slot while batch lengths vary (issue #16 memory)", () => {
  const tape = new Tape();
  const a = tape.alloc(100);
  tape.reset();
  const b = tape.alloc(60); // shorter: a view of the same store
  assert.equal(b.length, 60);
  assert.equal(b.buffer, a.buffer);
  tape.reset();
  const c = tape.alloc(120); // longer: a new store, at least 1.5x the old one
  assert.equal(c.length, 120);
  assert.notEqual(c.buffer, a.buffer);
  tape.reset();
  const d = tape.alloc(150);
  assert.equal(d.buffer, c.buffer, "150 fits in the 1.5x store: no new allocation");
  // And gradients over batches of varying length stay exactly those of fresh buffers.
  const w = tensor([0.5, -0.25], [2, 1]);
  const f = T.valueAndGrad((p) => T.sum(T.mul(T.matmul(xs, p.w), T.matmul(xs, p.w))));
  let xs = tensor(
    new Float64Array(8).map((_, i) => i - 3),
    [4, 2],
  );
  const g4 = Array.from(f({ w }).grads.w);
  xs = tensor(
    new Float64Array(4).map((_, i) => i - 3),
    [2, 2],
  );
  f({ w });
  xs = tensor(
    new Float64Array(8).map((_, i) => i - 3),
    [4, 2],
  );
  assert.deepEqual(Array.from(f({ w }).grads.w), g4);
});

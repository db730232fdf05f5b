import assert from "node:assert/strict";
import { test } from "node:test";
import {
  logSoftmaxGather,
  mean,
  mul,
  neg,
  Rng,
  tensor,
  valueAndGrad,
} from "../../src/core/index.ts";
import {
  createMlpInference,
  initMlp,
  type MlpSpec,
  mlp,
  orthogonal,
  xavierUniform,
} from "../../src/nn/index.ts";
import { gradcheck } from "../core/gradcheck.ts";

const spec = (activation: MlpSpec["activation"], hiddenSizes: number[] = [6, 5]): MlpSpec => ({
  inputSize: 3,
  hiddenSizes,
  outputSize: 2,
  activation,
  prefix: "pi",
});

for (const act of ["tanh", "relu", "elu"] as const) {
  test(`MLP 3-6-5-2 ${act}: gradient of every parameter vs finite differences (rel 1e-6)`, () => {
    const s = spec(act);
    const params = initMlp(s, new Rng(1), { outputGain: 1 });
    for (const p of Object.values(params))
      for (let i = 0; i < p.size; i++) p.data[i] += 0.1 * Math.sin(i + 1);
    const names = Object.keys(params);
    const x = tensor(new Rng(2).fillNormal(new Float64Array(4 * 3)), [4, 3]);
    gradcheck(
      (...ts) => mlp(Object.fromEntries(names.map((n, i) => [n, ts[i]])), s, x),
      names.map((n) => params[n].shape.slice()),
      { range: [-0.8, 0.8] },
    );
  });
}

test("REINFORCE loss through the MLP: gradcheck including the input", () => {
  const s = spec("tanh", []);
  gradcheck(
    (x, w, b) =>
      neg(
        mean(
          mul(
            logSoftmaxGather(mlp({ "pi.0.weight": w, "pi.0.bias": b }, s, x), [1, 0, 1]),
            tensor([0.5, -1, 2]),
          ),
        ),
      ),
    [[3, 3], [3, 2], [2]],
  );
});

test("initMlp: parameter names and shapes follow the contract; biases are zero", () => {
  const p = initMlp(spec("tanh"), new Rng(0));
  assert.deepEqual(
    Object.entries(p).map(([n, t]) => `${n}:${t.shape.join("x")}`),
    [
      "pi.0.weight:3x6",
      "pi.0.bias:6",
      "pi.1.weight:6x5",
      "pi.1.bias:5",
      "pi.2.weight:5x2",
      "pi.2.bias:2",
    ],
  );
  assert.ok(p["pi.1.bias"].data.every((v) => v === 0));
  assert.deepEqual(Object.keys(initMlp(spec("tanh", []), new Rng(0))), [
    "pi.0.weight",
    "pi.0.bias",
  ]);
});

test("orthogonal init: W^T W = gain^2 I (tall) and W W^T = gain^2 I (wide), to 1e-12", () => {
  for (const [r, c] of [
    [7, 4],
    [4, 7],
    [5, 5],
  ]) {
    const w = orthogonal(new Rng(r * 10 + c), r, c, 2);
    const m = Math.min(r, c);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < Math.max(r, c); k++)
          s += r >= c ? w[k * c + i] * w[k * c + j] : w[i * c + k] * w[j * c + k];
        assert.ok(Math.abs(s - (i === j ? 4 : 0)) < 1e-12, `${r}x${c} (${i},${j}): ${s}`);
      }
    }
  }
});

test("xavier init stays within gain * sqrt(6 / (in + out)) and is seeded", () => {
  const w = xavierUniform(new Rng(3), 30, 20, 1);
  const a = Math.sqrt(6 / 50);
  assert.ok(w.every((v) => Math.abs(v) <= a));
  assert.ok(Math.max(...w) > 0.8 * a); // fills the range, not stuck near 0
  assert.deepEqual(xavierUniform(new Rng(3), 30, 20, 1), w);
  const p = initMlp(spec("relu"), new Rng(4), { init: "xavier", outputGain: 0.01 });
  assert.ok(p["pi.2.weight"].data.every((v) => Math.abs(v) <= 0.01 * Math.sqrt(6 / 7)));
});

test("createMlpInference matches mlp() bit for bit, for every activation and batch size", () => {
  for (const act of ["tanh", "relu", "elu"] as const) {
    const s = { ...spec(act, [64, 64]), inputSize: 4 };
    const params = initMlp(s, new Rng(5));
    const forward = createMlpInference(s, 9);
    for (const B of [1, 3, 4, 9]) {
      const x = new Rng(B).fillNormal(new Float64Array(B * 4)) as Float64Array;
      const out = new Float64Array(B * 2);
      forward(params, x, B, out);
      assert.deepEqual(out, mlp(params, s, tensor(x, [B, 4])).data);
    }
  }
});

test("createMlpInference does not allocate per call (heap grows < 64 bytes/call over 20,000 calls)", () => {
  const s = { ...spec("tanh", [64, 64]), inputSize: 4 };
  const params = initMlp(s, new Rng(5));
  const forward = createMlpInference(s, 16);
  const x = new Float64Array(16 * 4).fill(0.1);
  const out = new Float64Array(32);
  for (let i = 0; i < 1000; i++) forward(params, x, 16, out);
  const before = process.memoryUsage();
  for (let i = 0; i < 20_000; i++) forward(params, x, 16, out);
  const after = process.memoryUsage();
  // A scavenge in between could only lower the reading; a per-call Float64Array would add >= 20000 * 64 B.
  const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  assert.ok(grown < 20_000 * 64, `grew ${grown} bytes`);
});

test("mlp errors name the parameter or shape", () => {
  const s = spec("tanh");
  const p = initMlp(s, new Rng(0));
  assert.throws(
    () => mlp(p, s, tensor(new Float64Array(8), [2, 4])),
    /mlp: x has shape \[2, 4\], expected \[B, 3\]/,
  );
  const { "pi.1.bias": _, ...missing } = p;
  assert.throws(
    () => mlp(missing, s, tensor(new Float64Array(6), [2, 3])),
    /missing parameter "pi.1.bias"/,
  );
  assert.throws(
    () => initMlp({ ...s, hiddenSizes: [0] }, new Rng(0)),
    /layer sizes must be integers >= 1/,
  );
  const f = createMlpInference(s, 2);
  assert.throws(
    () => f(p, new Float64Array(9), 3, new Float64Array(6)),
    /batch must be an integer in \[0, 2\], got 3/,
  );
});

test("gradient of the MLP is deterministic across identical runs", () => {
  const run = () => {
    const s = spec("elu");
    const p = initMlp(s, new Rng(11));
    const x = tensor(new Rng(12).fillNormal(new Float64Array(15)), [5, 3]);
    return valueAndGrad((q) => mean(mlp(q, s, x)))(p);
  };
  assert.deepEqual(run(), run());
});

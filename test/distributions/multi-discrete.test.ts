import assert from "node:assert/strict";
import { test } from "node:test";
import { add, mul, type Params, slice, sum, tensor } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import {
  categoricalEntropy,
  multiDiscreteEntropy,
  multiDiscreteLogProb,
  multiDiscreteMode,
  multiDiscreteSample,
} from "../../src/distributions/index.ts";
import { gradcheck } from "./gradcheck.ts";

const NVEC = [2, 3, 4];
const K = 9; // sum of NVEC

function randomLogits(rng: Rng, rows: number, scale = 1.5): Float64Array {
  return Float64Array.from({ length: rows * K }, () => scale * rng.normal());
}

/** Every joint action of NVEC, row-major [24, 3]. */
function allJointActions(): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) out.push([a, b, c]);
  return out;
}

test("multi-discrete log-probs normalize over all 24 joint actions (1e-12)", () => {
  const rows = 3;
  const x = randomLogits(new Rng(30), rows);
  const logits = tensor(x, [rows, K]);
  const totals = new Float64Array(rows);
  for (const joint of allJointActions()) {
    const actions = new Float64Array(rows * 3);
    for (let i = 0; i < rows; i++) actions.set(joint, i * 3);
    const lp = multiDiscreteLogProb(logits, NVEC, actions);
    for (let i = 0; i < rows; i++) totals[i] += Math.exp(lp.data[i]);
  }
  for (const t of totals) assert.ok(Math.abs(t - 1) < 1e-12, `sum ${t}`);
});

test("multi-discrete entropy is the sum of the component entropies and equals -E[log p] by sampling", () => {
  const x = randomLogits(new Rng(31), 1);
  const logits = tensor(x, [1, K]);
  const h = multiDiscreteEntropy(logits, NVEC).data[0];
  let parts = 0;
  let off = 0;
  for (const n of NVEC) {
    parts += categoricalEntropy(slice(logits, [0, off], [1, n])).data[0];
    off += n;
  }
  assert.ok(Math.abs(h - parts) < 1e-12);
  // -E[log p] over samples, within 4 standard errors.
  const n = 20000;
  const rows = new Float64Array(n * K);
  for (let i = 0; i < n; i++) rows.set(x, i * K);
  const actions = new Float64Array(n * 3);
  multiDiscreteSample(rows, n, NVEC, new Rng(32), actions);
  const lp = multiDiscreteLogProb(tensor(rows, [n, K]), NVEC, actions).data;
  let s = 0;
  let s2 = 0;
  for (const v of lp) {
    s -= v;
    s2 += v * v;
  }
  const m = s / n;
  const se = Math.sqrt((s2 / n - m * m) / n);
  assert.ok(Math.abs(m - h) <= 4 * se, `-E[log p] ${m} vs H ${h} (se ${se})`);
  // Every sampled component is a valid class.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) {
      const a = actions[i * 3 + j];
      assert.ok(Number.isInteger(a) && a >= 0 && a < NVEC[j]);
    }
  }
});

test("multi-discrete mode is the argmax of each component; sampling repeats with the seed", () => {
  const x = Float64Array.from([
    1, 0, /**/ -1, 5, 2, /**/ 0, 0, 3, 3, /* row 2 */ -1, -2, /**/ 0, 0, 9, /**/ 8, 1, 1, 1,
  ]);
  const out = new Float64Array(6);
  multiDiscreteMode(x, 2, NVEC, out);
  assert.deepEqual(Array.from(out), [0, 1, 2, 0, 2, 0]);
  const a = new Float64Array(6);
  const b = new Float64Array(6);
  multiDiscreteSample(x, 2, NVEC, new Rng(33), a);
  multiDiscreteSample(x, 2, NVEC, new Rng(33), b);
  assert.deepEqual(a, b);
});

test("multi-discrete logProb rejects out-of-range actions and wrong shapes, naming the element", () => {
  const logits = tensor(new Float64Array(2 * K), [2, K]);
  assert.throws(
    () => multiDiscreteLogProb(logits, NVEC, [0, 0, 0, 1, 3, 0]),
    /actions\[4\] \(row 1, component 1\) = 3, expected an integer in \[0, 3\)/,
  );
  assert.throws(() => multiDiscreteLogProb(logits, NVEC, [0, 0, 0]), /expected 6 actions/);
  assert.throws(() => multiDiscreteEntropy(tensor(new Float64Array(8), [1, 8]), NVEC), /\[B, 9\]/);
});

test("multi-discrete logProb and entropy gradients match central finite differences (rel err <= 1e-6)", () => {
  const params: Params = { logits: tensor(randomLogits(new Rng(34), 3), [3, K]) };
  const actions = [1, 2, 3, 0, 0, 1, 1, 1, 0];
  const w = tensor([0.5, -2, 1.25]);
  const err = gradcheck(
    (p) =>
      add(
        sum(mul(multiDiscreteLogProb(p.logits, NVEC, actions), w)),
        sum(mul(multiDiscreteEntropy(p.logits, NVEC), w)),
      ),
    params,
  );
  assert.ok(err <= 1e-6, `relative error ${err}`);
});

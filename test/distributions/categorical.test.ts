import assert from "node:assert/strict";
import { test } from "node:test";
import { add, mul, type Params, sum, tensor } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import {
  categoricalEntropy,
  categoricalLogProb,
  categoricalMode,
  categoricalSample,
  categoricalSampleRow,
} from "../../src/distributions/index.ts";
import { gradcheck } from "./gradcheck.ts";

/** Rows of logits from N(0, scale^2), [rows, k]. */
function randomLogits(rng: Rng, rows: number, k: number, scale: number): Float64Array {
  const x = new Float64Array(rows * k);
  for (let i = 0; i < x.length; i++) x[i] = scale * rng.normal();
  return x;
}

test("categorical log-probs normalize: sum_k exp(log p(k)) = 1 per row, even for logits of size 500", () => {
  const rows = 6;
  const k = 5;
  const rng = new Rng(10);
  for (const scale of [0.1, 3, 500]) {
    const logits = tensor(randomLogits(rng, rows, k, scale), [rows, k]);
    const total = new Float64Array(rows);
    for (let c = 0; c < k; c++) {
      const lp = categoricalLogProb(logits, new Float64Array(rows).fill(c));
      for (let i = 0; i < rows; i++) {
        assert.ok(lp.data[i] <= 0 && !Number.isNaN(lp.data[i]), `log p ${lp.data[i]}`);
        total[i] += Math.exp(lp.data[i]);
      }
    }
    // Tolerance: k roundings of exp/log in float64, 1e-12.
    for (let i = 0; i < rows; i++)
      assert.ok(Math.abs(total[i] - 1) < 1e-12, `row ${i}: ${total[i]}`);
  }
});

test("categorical entropy equals -sum p log p computed directly, and log K for equal logits", () => {
  const rows = 4;
  const k = 6;
  const x = randomLogits(new Rng(11), rows, k, 2);
  const h = categoricalEntropy(tensor(x, [rows, k]));
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(x[i * k + c]);
    let expected = 0;
    for (let c = 0; c < k; c++) {
      const p = Math.exp(x[i * k + c]) / z;
      expected -= p * Math.log(p);
    }
    assert.ok(Math.abs(h.data[i] - expected) < 1e-12, `row ${i}: ${h.data[i]} vs ${expected}`);
  }
  const flat = categoricalEntropy(tensor(new Float64Array(k).fill(7.5), [1, k]));
  assert.ok(Math.abs(flat.data[0] - Math.log(k)) < 1e-12);
});

test("categorical entropy equals -E[log p] by sampling (within 4 standard errors)", () => {
  const k = 5;
  const rows = 3;
  const x = randomLogits(new Rng(12), rows, k, 1.5);
  const logits = tensor(x, [rows, k]);
  const h = categoricalEntropy(logits);
  const rng = new Rng(13);
  const n = 20000;
  for (let i = 0; i < rows; i++) {
    // log p of every class of row i, from the differentiable function itself.
    const row = tensor(x.subarray(i * k, (i + 1) * k), [1, k]);
    const logp = Array.from({ length: k }, (_, c) => categoricalLogProb(row, [c]).data[0]);
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < n; t++) {
      const v = -logp[categoricalSampleRow(x, i * k, k, rng)];
      s += v;
      s2 += v * v;
    }
    const m = s / n;
    const se = Math.sqrt((s2 / n - m * m) / n);
    assert.ok(
      Math.abs(m - h.data[i]) <= 4 * se,
      `row ${i}: -E[log p] ${m} vs H ${h.data[i]} (se ${se})`,
    );
  }
});

test("categorical samples follow softmax(logits): each class frequency within 4 standard errors", () => {
  const k = 4;
  const x = Float64Array.from([0.5, -1, 2, 0]);
  let z = 0;
  for (const v of x) z += Math.exp(v);
  const n = 40000;
  const out = new Float64Array(n);
  // One row repeated: the batch function must walk rows at stride k.
  const logits = new Float64Array(n * k);
  for (let i = 0; i < n; i++) logits.set(x, i * k);
  categoricalSample(logits, n, k, new Rng(14), out);
  const counts = new Float64Array(k);
  for (const a of out) counts[a]++;
  for (let c = 0; c < k; c++) {
    const p = Math.exp(x[c]) / z;
    const se = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(counts[c] / n - p) <= 4 * se, `class ${c}: ${counts[c] / n} vs ${p}`);
  }
});

test("categorical sampling is deterministic given the seed", () => {
  const x = randomLogits(new Rng(15), 50, 3, 1);
  const a = new Float64Array(50);
  const b = new Float64Array(50);
  categoricalSample(x, 50, 3, new Rng(16), a);
  categoricalSample(x, 50, 3, new Rng(16), b);
  assert.deepEqual(a, b);
  categoricalSample(x, 50, 3, new Rng(17), b);
  assert.notDeepEqual(a, b);
});

test("categorical mode is the argmax of each row (first on ties)", () => {
  const x = Float64Array.from([0, 3, 1, /**/ -2, -5, -2, /**/ 7, 7.5, -100]);
  const out = new Float64Array(3);
  categoricalMode(x, 3, 3, out);
  assert.deepEqual(Array.from(out), [1, 0, 1]);
});

test("categorical sampling rejects NaN or infinite logits with a clear error", () => {
  assert.throws(
    () => categoricalSampleRow([0, Number.NaN, 1], 0, 3, new Rng(0)),
    /logits\[0\.\.3\) must be finite/,
  );
  assert.throws(
    () => categoricalSampleRow([0, Number.POSITIVE_INFINITY], 0, 2, new Rng(0)),
    /finite/,
  );
});

test("categorical logProb and entropy gradients match central finite differences (rel err <= 1e-6)", () => {
  const rows = 4;
  const k = 5;
  const params: Params = { logits: tensor(randomLogits(new Rng(18), rows, k, 1.5), [rows, k]) };
  const actions = [4, 0, 2, 2];
  const weights = tensor([0.7, -1.3, 2.1, 0.4]);
  const errLp = gradcheck((p) => sum(mul(categoricalLogProb(p.logits, actions), weights)), params);
  const errH = gradcheck((p) => sum(mul(categoricalEntropy(p.logits), weights)), params);
  const errBoth = gradcheck(
    (p) => add(sum(categoricalLogProb(p.logits, actions)), sum(categoricalEntropy(p.logits))),
    params,
  );
  for (const [what, err] of [
    ["logProb", errLp],
    ["entropy", errH],
    ["both", errBoth],
  ] as const) {
    assert.ok(err <= 1e-6, `${what}: relative error ${err}`);
  }
});

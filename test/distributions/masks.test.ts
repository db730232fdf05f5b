/**
 * Action masks: a masked class gets probability 0 in sampling, the mode, the log-probs and the
 * entropy, and no gradient; the valid classes follow the softmax renormalized over them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mul, type Params, sum, tensor, valueAndGrad } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import {
  categoricalEntropy,
  categoricalLogProb,
  categoricalModeRowMasked,
  categoricalSampleRowMasked,
  multiDiscreteEntropy,
  multiDiscreteLogProb,
  multiDiscreteMode,
  multiDiscreteSample,
} from "../../src/distributions/index.ts";
import { gradcheck } from "./gradcheck.ts";

const LOGITS = [0.5, 3, -1, 2, 0];
const MASK = [1, 0, 1, 1, 0];

/** softmax over the valid classes only. */
function renormalized(x: number[], mask: number[]): number[] {
  let z = 0;
  for (let k = 0; k < x.length; k++) if (mask[k]) z += Math.exp(x[k]);
  return x.map((v, k) => (mask[k] ? Math.exp(v) / z : 0));
}

test("masked sampling: masked classes are never drawn, valid ones follow the renormalized softmax (4 SE)", () => {
  const p = renormalized(LOGITS, MASK);
  const rng = new Rng(3);
  const n = 40_000;
  const counts = new Float64Array(5);
  for (let i = 0; i < n; i++) counts[categoricalSampleRowMasked(LOGITS, 0, 5, MASK, 0, rng)]++;
  assert.equal(counts[1], 0);
  assert.equal(counts[4], 0);
  for (let k = 0; k < 5; k++) {
    const se = Math.sqrt((p[k] * (1 - p[k])) / n) || 1e-12;
    assert.ok(Math.abs(counts[k] / n - p[k]) <= 4 * se, `class ${k}: ${counts[k] / n} vs ${p[k]}`);
  }
  // The mode is the best valid class, not the best class (1).
  assert.equal(categoricalModeRowMasked(LOGITS, 0, 5, MASK, 0), 3);
  assert.throws(
    () => categoricalSampleRowMasked(LOGITS, 0, 5, [0, 0, 0, 0, 0], 0, rng),
    /every class .* is masked/,
  );
  assert.throws(() => categoricalModeRowMasked(LOGITS, 0, 5, [0, 0, 0, 0, 0], 0), /masked/);
});

test("masked log-probs and entropy are those of the renormalized distribution; masked logits get no gradient", () => {
  const p = renormalized(LOGITS, MASK);
  const logits = tensor(LOGITS, [1, 5]);
  for (const a of [0, 2, 3]) {
    const lp = categoricalLogProb(logits, [a], MASK).data[0];
    assert.ok(Math.abs(lp - Math.log(p[a])) < 1e-12, `log p(${a}) ${lp} vs ${Math.log(p[a])}`);
  }
  // A masked action's log-prob is astronomically negative (probability exactly 0).
  assert.equal(Math.exp(categoricalLogProb(logits, [1], MASK).data[0]), 0);
  const h = categoricalEntropy(logits, MASK).data[0];
  const expected = -p.reduce((acc, q) => acc + (q > 0 ? q * Math.log(q) : 0), 0);
  assert.ok(Math.abs(h - expected) < 1e-12, `entropy ${h} vs ${expected}`);
  const { grads } = valueAndGrad((q) =>
    sum(mul(categoricalEntropy(q.x, MASK), categoricalLogProb(q.x, [2], MASK))),
  )({ x: tensor(LOGITS, [1, 5]) });
  assert.equal(grads.x[1], 0);
  assert.equal(grads.x[4], 0);
  assert.ok(Number.isFinite(grads.x[0]) && grads.x[0] !== 0);
});

test("masked log-prob and entropy gradients match central differences over the valid logits", () => {
  const rows = 3;
  const masks = [1, 0, 1, 1, 0, /**/ 0, 1, 1, 1, 1, /**/ 1, 1, 0, 0, 1];
  const params: Params = {
    x: tensor(
      Array.from({ length: rows * 5 }, (_, i) => Math.sin(3 * i)),
      [rows, 5],
    ),
  };
  const w = tensor([0.7, -1.3, 2.1]);
  const err = gradcheck((p) => sum(mul(categoricalLogProb(p.x, [3, 2, 4], masks), w)), params);
  assert.ok(err <= 1e-6, `logProb: relative error ${err}`);
  const errH = gradcheck((p) => sum(mul(categoricalEntropy(p.x, masks), w)), params);
  assert.ok(errH <= 1e-6, `entropy: relative error ${errH}`);
  assert.throws(() => categoricalLogProb(params.x, [0, 0, 0], [1, 1]), /mask has 2 entries/);
});

test("multi-discrete masks: per component, lined up with the logits", () => {
  const nvec = [2, 3];
  const x = [0.3, 1.2, /**/ 2, -1, 0.5];
  const mask = [0, 1, /**/ 1, 0, 1];
  const out = new Float64Array(2);
  multiDiscreteMode(x, 1, nvec, out, mask);
  assert.deepEqual(Array.from(out), [1, 0]);
  const rng = new Rng(5);
  for (let i = 0; i < 2000; i++) {
    multiDiscreteSample(x, 1, nvec, rng, out, mask);
    assert.equal(out[0], 1);
    assert.notEqual(out[1], 1);
  }
  const logits = tensor(x, [1, 5]);
  const p1 = renormalized([2, -1, 0.5], [1, 0, 1]);
  const lp = multiDiscreteLogProb(logits, nvec, [1, 2], mask).data[0];
  assert.ok(Math.abs(lp - (0 + Math.log(p1[2]))) < 1e-12, `${lp}`);
  const h = multiDiscreteEntropy(logits, nvec, mask).data[0];
  const expected = -(p1[0] * Math.log(p1[0]) + p1[2] * Math.log(p1[2]));
  assert.ok(Math.abs(h - expected) < 1e-12, `${h} vs ${expected}`);
});

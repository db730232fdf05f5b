/**
 * The surrogate pieces alone: gradchecks of the ratio surrogate, of PPO's clipped surrogate on both
 * sides of the clip (and the zero gradient where the clip is active), of the clipped value loss,
 * of the per-decision coefficients against central differences of the per-decision return, and
 * the ratio statistics on hand-computed values.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  clippedSurrogate,
  effectiveSampleSize,
  perDecisionCoefficients,
  perDecisionReturn,
  ratioStats,
  ratioSurrogate,
  valueLossClipped,
} from "../../src/algos/surrogates.ts";
import { mul, type Params, sum, Tensor, tensor, valueAndGrad } from "../../src/core/index.ts";
import { gradcheck } from "../distributions/gradcheck.ts";

const EPS = 0.2;

/** logProb such that rho_i = ratios[i] (old log-probs fixed at -1). */
function atRatios(ratios: number[]): { logProb: Params; old: Tensor } {
  return {
    logProb: { lp: tensor(ratios.map((r) => Math.log(r) - 1)) },
    old: tensor(ratios.map(() => -1)),
  };
}

test("ratioSurrogate: gradient rho A (gradcheck), and exactly A at rho = 1", () => {
  const { logProb, old } = atRatios([0.5, 1, 1.7, 3]);
  const adv = tensor([1.5, -2, 0.3, -0.7]);
  const err = gradcheck((p) => sum(ratioSurrogate(p.lp, old, adv)), logProb);
  assert.ok(err < 1e-8, `relative error ${err}`);
  const same = { lp: tensor([-1, -1, -1]) };
  const a = tensor([0.25, -3, 1e-3]);
  const { grads } = valueAndGrad((p) => sum(ratioSurrogate(p.lp, tensor([-1, -1, -1]), a)))(same);
  assert.deepEqual(Array.from(grads.lp), [0.25, -3, 1e-3]);
});

test("clippedSurrogate: gradchecks inside the clip and on both sides outside it", () => {
  // Ratios inside [0.8, 1.2], above it and below it, each with positive and negative advantages.
  for (const [label, ratios] of [
    ["inside", [0.85, 0.95, 1.05, 1.15]],
    ["above", [1.3, 1.6, 2.5, 4]],
    ["below", [0.1, 0.3, 0.6, 0.75]],
  ] as const) {
    for (const sign of [1, -1]) {
      const { logProb, old } = atRatios([...ratios]);
      const adv = tensor([1.5, 0.4, 2, 0.7].map((x) => sign * x));
      const f = (p: Params) => sum(clippedSurrogate(p.lp, old, adv, EPS));
      const g = valueAndGrad(f)(logProb).grads.lp;
      // The clip is active (zero gradient) above with A > 0 and below with A < 0; otherwise the
      // unclipped term rho A is the smaller one and its gradient rho A flows.
      const clipped = (label === "above" && sign > 0) || (label === "below" && sign < 0);
      for (let i = 0; i < ratios.length; i++) {
        const expected = clipped ? 0 : ratios[i] * adv.data[i];
        assert.ok(
          Math.abs(g[i] - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
          `${label}, sign ${sign}, sample ${i}: gradient ${g[i]}, expected ${expected}`,
        );
      }
      if (!clipped) {
        const err = gradcheck(f, logProb);
        assert.ok(err < 1e-8, `${label}, sign ${sign}: relative error ${err}`);
      } else {
        // Finite differences of a flat function: the value must not move at all.
        const before = f(logProb).item();
        logProb.lp.data[0] += 1e-4;
        assert.equal(f(logProb).item(), before, `${label}, sign ${sign}: value moved`);
      }
    }
  }
});

test("clippedSurrogate at rho = 1 has the ratio surrogate's gradient (the tie goes to rho A)", () => {
  const lp = { lp: tensor([-0.3, -2, -0.01]) };
  const old = tensor([-0.3, -2, -0.01]);
  const adv = tensor([1, -1, 0.5]);
  const a = valueAndGrad((p) => sum(clippedSurrogate(p.lp, old, adv, EPS)))(lp).grads.lp;
  assert.deepEqual(Array.from(a), [1, -1, 0.5]);
  assert.throws(() => clippedSurrogate(lp.lp, old, adv, 0), /clipCoef must be > 0/);
});

test("valueLossClipped: plain loss, and the clipped form gradchecked on both sides of its clip", () => {
  const targets = tensor([1, -1, 0.5, 2]);
  const old = tensor([0.8, -0.5, 0.4, 1]);
  // Moves from V_old: small (inside +-0.2) and large (outside), towards and away from the target.
  for (const values of [
    [0.9, -0.6, 0.45, 1.1],
    [1.5, -1.8, -0.3, 2.6],
    [0.3, 0.2, 1.2, 0.1],
  ]) {
    const p = { v: tensor(values) };
    for (const c of [null, 0.2]) {
      const f = (q: Params) => valueLossClipped(q.v, old, targets, c);
      const err = gradcheck(f, p);
      assert.ok(err < 1e-7, `values ${values}, clip ${c}: relative error ${err}`);
    }
  }
  // Plain: 0.5 mean((V - G)^2).
  const plain = valueLossClipped(tensor([2, 0]), tensor([0, 0]), tensor([0, 1]), null).item();
  assert.equal(plain, 0.5 * ((4 + 1) / 2));
  // Clipped: V = 2 from V_old = 0 towards G = 3 with eps 0.5 takes max((2-3)^2, (0.5-3)^2) = 6.25.
  const clipped = valueLossClipped(tensor([2]), tensor([0]), tensor([3]), 0.5).item();
  assert.equal(clipped, 0.5 * 6.25);
});

test("per-decision: sum_t C_t grad log pi_t equals the gradient of the per-decision return (central differences)", () => {
  // Log-probs of 7 steps in 3 segments as parameters; the old log-probs fixed.
  const old = [-0.7, -1.2, -0.3, -0.9, -2, -0.4, -1.1];
  const rewards = [1, -0.5, 2, 0.3, 1.5, -1, 0.8];
  const ends = new Uint8Array([0, 0, 1, 0, 2, 0, 1]);
  const p = { lp: tensor([-0.5, -1.4, -0.2, -1.3, -1.6, -0.6, -0.9]) };
  const gamma = 0.9;
  const w = new Float64Array(7);
  const c = new Float64Array(7);
  const logRatio = () => Array.from(p.lp.data, (x, i) => x - old[i]);
  perDecisionCoefficients(logRatio(), rewards, ends, gamma, w, c);
  const g = valueAndGrad((q) => sum(mul(q.lp, new Tensor(c, [7]))))(p).grads.lp;
  const h = 1e-6;
  for (let i = 0; i < 7; i++) {
    const x = p.lp.data[i];
    p.lp.data[i] = x + h;
    const up = perDecisionReturn(logRatio(), rewards, ends, gamma);
    p.lp.data[i] = x - h;
    const down = perDecisionReturn(logRatio(), rewards, ends, gamma);
    p.lp.data[i] = x;
    const num = (up - down) / (2 * h);
    assert.ok(Math.abs(num - g[i]) < 1e-8, `step ${i}: C ${g[i]} vs d/dlogp ${num}`);
  }
});

test("ratioStats: mean, max, k3 KL, clip fraction and ESS on hand-computed values", () => {
  const ratios = [0.5, 1, 2, 1.1];
  const s = ratioStats(
    ratios.map((r) => Math.log(r)),
    4,
    0.2,
  );
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(s.ratioMean, 4.6 / 4);
  close(s.ratioMax, 2);
  const kl = ratios.reduce((acc, r) => acc + (r - 1 - Math.log(r)), 0) / 4;
  close(s.approxKl, kl);
  assert.ok(s.approxKl > 0);
  close(s.clipFraction, 2 / 4);
  close(s.essFraction, (4.6 * 4.6) / (4 * (0.25 + 1 + 4 + 1.21)));
  // Equal weights: KL 0, ESS 1, nothing clipped.
  const same = ratioStats([0, 0, 0], 3, 0.2);
  assert.deepEqual(same, {
    ratioMean: 1,
    ratioMax: 1,
    approxKl: 0,
    clipFraction: 0,
    essFraction: 1,
  });
  assert.equal(effectiveSampleSize([1, 0, 0, 0]), 1);
  assert.equal(effectiveSampleSize([2, 2, 2]), 3);
  assert.throws(() => ratioStats([0], 2, null), /n must be in \[1, 1\]/);
});

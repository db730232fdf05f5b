import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createNoSignalCheck,
  EpisodeEnd,
  fullReturns,
  gae,
  hasVariation,
  meanStd,
  NO_SIGNAL_NOTE,
  NO_SIGNAL_PERSIST,
  NO_SIGNAL_WARNING,
  normalize,
  rewardToGo,
  segmentCount,
  subtractBatchMeanBaseline,
} from "../../src/algos/returns.ts";

const { none: N, terminal: T, cut: C } = EpisodeEnd;
const f = (xs: number[]) => Float64Array.from(xs);
const u = (xs: number[]) => Uint8Array.from(xs);

/** Elementwise equality within `tol` (hand-computed values carry rounding). */
function close(actual: Float64Array, expected: number[], tol = 1e-12) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `index ${i}: got ${actual[i]}, expected ${expected[i]} (tol ${tol})`,
    );
  }
}

test("rewardToGo discounts within segments and restarts at boundaries", () => {
  // Two episodes: [1, 2, 3] terminal, then [4, 5] terminal; gamma 0.5.
  // G = [1 + .5*(2 + .5*3), 2 + .5*3, 3, 4 + .5*5, 5] = [2.75, 3.5, 3, 6.5, 5]
  const r = f([1, 2, 3, 4, 5]);
  const e = u([N, N, T, N, T]);
  close(rewardToGo(r, e, 0.5), [2.75, 3.5, 3, 6.5, 5]);
  // gamma 1: plain suffix sums.
  close(rewardToGo(r, e, 1), [6, 5, 3, 9, 5]);
});

test("rewardToGo bootstraps only at cuts, never at terminals", () => {
  const r = f([1, 1, 1, 1]);
  const e = u([N, C, N, T]);
  const boot = f([100, 10, 100, 100]); // only boot[1] may be read
  // seg 1: G1 = 1 + .9*10 = 10, G0 = 1 + .9*10 = 10; seg 2: G3 = 1, G2 = 1.9
  close(rewardToGo(r, e, 0.9, boot), [10, 10, 1.9, 1], 1e-12);
  // Without bootstrap values a cut contributes 0.
  close(rewardToGo(r, e, 0.9), [1.9, 1, 1.9, 1], 1e-12);
});

test("rewardToGo writes into the caller's buffer, including in place", () => {
  const r = f([1, 2, 3]);
  const out = new Float64Array(3);
  assert.equal(rewardToGo(r, u([N, N, T]), 1, undefined, out), out);
  close(out, [6, 5, 3]);
  rewardToGo(r, u([N, N, T]), 1, undefined, r);
  close(r, [6, 5, 3]);
});

test("returns functions reject a batch that does not end a segment, and bad lengths", () => {
  assert.throws(() => rewardToGo(f([1, 2]), u([N, N]), 1), /last step must end a segment/);
  assert.throws(() => fullReturns(f([1, 2]), u([T]), 1), /ends has length 1, expected 2/);
  assert.throws(() => gae(f([1]), f([1, 2]), u([T]), 1, 1), /values has length 2, expected 1/);
});

test("fullReturns gives each step its segment's discounted return from the start", () => {
  const r = f([1, 2, 3, 4, 5]);
  const e = u([N, N, T, N, T]);
  // gamma .5: ep1 = 1 + 1 + .75 = 2.75; ep2 = 4 + 2.5 = 6.5
  close(fullReturns(r, e, 0.5), [2.75, 2.75, 2.75, 6.5, 6.5]);
  // A cut after 2 steps adds gamma^2 * bootstrap: 1 + .5 * 1 + .25 * 8 = 3.5
  close(fullReturns(f([1, 1, 7]), u([N, C, T]), 0.5, f([0, 8, 99])), [3.5, 3.5, 7]);
});

test("gae: lambda = 1 equals reward-to-go minus V, lambda = 0 the TD error", () => {
  const r = f([1, 0, 2, 1]);
  const v = f([0.5, 0.25, 1, -1]);
  const e = u([N, C, N, T]);
  const boot = f([0, 3, 0, 0]);
  const g = 0.9;
  const G = rewardToGo(r, e, g, boot);
  const a1 = gae(r, v, e, g, 1, boot);
  close(
    a1,
    Array.from(G, (x, i) => x - v[i]),
    1e-12,
  );
  // TD errors by hand: d0 = 1 + .9*.25 - .5 = .725; d1 = 0 + .9*3 - .25 = 2.45;
  // d2 = 2 + .9*(-1) - 1 = .1; d3 = 1 - (-1) = 2
  close(gae(r, v, e, g, 0, boot), [0.725, 2.45, 0.1, 2], 1e-12);
  // lambda .5: A3 = 2, A2 = .1 + .45*2 = 1; A1 = 2.45, A0 = .725 + .45*2.45 = 1.8275
  close(gae(r, v, e, g, 0.5, boot), [1.8275, 2.45, 1, 2], 1e-12);
});

test("segmentCount counts episode ends of both kinds", () => {
  assert.equal(segmentCount(u([N, T, N, N, C, T])), 3);
  assert.equal(segmentCount(u([])), 0);
});

test("subtractBatchMeanBaseline leaves each segment's own steps out of its baseline", () => {
  // Segments: [1, 3] | [5] | [7, 9, 11]; total 36 over 6 steps.
  const w = f([1, 3, 5, 7, 9, 11]);
  const e = u([N, T, C, N, N, T]);
  // seg1 b = (36 - 4) / 4 = 8; seg2 b = (36 - 5) / 5 = 6.2; seg3 b = (36 - 27) / 3 = 3
  close(subtractBatchMeanBaseline(w, e), [-7, -5, -1.2, 4, 6, 8], 1e-12);
  // One segment: nothing to leave in, baseline 0.
  close(subtractBatchMeanBaseline(f([2, 4]), u([N, T])), [2, 4]);
  // In place.
  subtractBatchMeanBaseline(w, e, w);
  close(w, [-7, -5, -1.2, 4, 6, 8], 1e-12);
});

test("normalize gives mean 0 and std 1 (population), meanStd matches by hand", () => {
  const x = f([1, 2, 3, 4]);
  const y = normalize(x);
  const s = Math.sqrt(1.25);
  close(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-7); // eps 1e-8 shifts the scale slightly
  const ms = meanStd(y);
  assert.ok(Math.abs(ms.mean) < 1e-15 && Math.abs(ms.std - 1) < 1e-7);
  assert.deepEqual(meanStd([2, 4]), { mean: 3, std: 1 });
  // A constant batch stays finite (std 0 + eps).
  close(normalize(f([5, 5, 5])), [0, 0, 0]);
});

test("hasVariation; a note on the first flat batch, a warning only if it persists", () => {
  assert.equal(hasVariation([1, 1, 1]), false);
  assert.equal(hasVariation([1, 1, 2]), true);
  const seen: string[] = [];
  const check = createNoSignalCheck((m) => seen.push(m));
  assert.equal(check([1]), true); // one episode: nothing to judge
  assert.equal(check([0, 0, 0]), false);
  assert.equal(check([2, 2]), false);
  assert.deepEqual(seen, [NO_SIGNAL_NOTE]);
  assert.match(
    NO_SIGNAL_NOTE,
    /^this batch had no variation.*common at the start of sparse-reward/,
  );
  assert.ok(!NO_SIGNAL_NOTE.includes("policygrad:"), "the CLI adds the one prefix");
  for (let i = 2; i < NO_SIGNAL_PERSIST - 1; i++) check([0, 0]);
  assert.deepEqual(seen, [NO_SIGNAL_NOTE], "batch 19: still only the note");
  check([0, 0]);
  assert.deepEqual(seen, [NO_SIGNAL_NOTE, NO_SIGNAL_WARNING]);
  for (let i = 0; i < 50; i++) check([0, 0]);
  assert.equal(seen.length, 2, "each once");
  assert.match(NO_SIGNAL_WARNING, /reward needs to vary/);
});

test("no warning for identical returns once a batch has shown a signal (a mastered task)", () => {
  const seen: string[] = [];
  const state = { warned: false, seenSignal: false };
  const check = createNoSignalCheck((m) => seen.push(m), state);
  assert.equal(check([100, 200]), true);
  assert.equal(check([500, 500, 500]), false); // every episode at the time limit
  assert.equal(seen.length, 0);
  assert.deepEqual(state, { warned: false, seenSignal: true });
  // A resumed check continues from the saved state: already warned, stays silent.
  const again = createNoSignalCheck((m) => seen.push(m), { warned: true, seenSignal: false });
  again([1, 1]);
  assert.equal(seen.length, 0);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { add, mul, type Params, sum, tensor } from "../../src/core/index.ts";
import { Rng } from "../../src/core/rng.ts";
import {
  clipToBox,
  diagGaussianEntropy,
  diagGaussianLogProb,
  diagGaussianMode,
  diagGaussianRsample,
  diagGaussianSample,
  fillStandardNormal,
  logHalfRange,
  logTanhJacobian,
  squashedGaussianEntropy,
  squashedGaussianLogProb,
  squashToBox,
} from "../../src/distributions/index.ts";
import { gradcheck } from "./gradcheck.ts";

/** log-density of the 1-D Gaussian N(mu, exp(ls)^2) at x, via the library function. */
function logPdf1(mu: number, ls: number, x: number): number {
  return diagGaussianLogProb(tensor([mu], [1, 1]), tensor([ls]), tensor([x], [1, 1])).data[0];
}

function meanAndSe(values: ArrayLike<number>): { mean: number; se: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    s2 += values[i] * values[i];
  }
  const n = values.length;
  const mean = s / n;
  const variance = (s2 - n * mean * mean) / (n - 1);
  return { mean, variance, se: Math.sqrt(variance / n) };
}

test("Gaussian log-density matches the closed form in 3-D, with shared and per-row log-std", () => {
  const mean = [0.5, -1, 2, 0, 0.25, -0.75];
  const ls = [0.3, -0.7, 1.2];
  const x = [1, -2, 2.5, -0.5, 0, 0];
  const shared = diagGaussianLogProb(tensor(mean, [2, 3]), tensor(ls), tensor(x, [2, 3]));
  const perRow = diagGaussianLogProb(
    tensor(mean, [2, 3]),
    tensor([...ls, ...ls], [2, 3]),
    tensor(x, [2, 3]),
  );
  for (let i = 0; i < 2; i++) {
    let expected = 0;
    for (let d = 0; d < 3; d++) {
      const s = Math.exp(ls[d]);
      const z = (x[i * 3 + d] - mean[i * 3 + d]) / s;
      expected += -0.5 * z * z - Math.log(s * Math.sqrt(2 * Math.PI));
    }
    assert.ok(Math.abs(shared.data[i] - expected) < 1e-12, `${shared.data[i]} vs ${expected}`);
    assert.ok(Math.abs(perRow.data[i] - expected) < 1e-12);
  }
});

test("Gaussian log-density integrates to 1 numerically in 1-D (Simpson, 1e-9)", () => {
  for (const [mu, ls] of [
    [0, 0],
    [1.5, -1.2],
    [-3, 0.8],
  ]) {
    const s = Math.exp(ls);
    const lo = mu - 12 * s;
    const hi = mu + 12 * s;
    const n = 4000; // even
    const h = (hi - lo) / n;
    let total = 0;
    for (let i = 0; i <= n; i++) {
      const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
      total += w * Math.exp(logPdf1(mu, ls, lo + i * h));
    }
    total *= h / 3;
    assert.ok(Math.abs(total - 1) < 1e-9, `mu ${mu}, logStd ${ls}: integral ${total}`);
  }
});

test("Gaussian entropy matches -integral p log p in 1-D and scales with D", () => {
  const mu = 0.7;
  const ls = -0.4;
  const s = Math.exp(ls);
  const n = 4000;
  const lo = mu - 12 * s;
  const h = (24 * s) / n;
  let integral = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    const lp = logPdf1(mu, ls, lo + i * h);
    integral -= w * Math.exp(lp) * lp;
  }
  integral *= h / 3;
  const ent = diagGaussianEntropy(tensor([mu], [1, 1]), tensor([ls])).data[0];
  assert.ok(Math.abs(ent - integral) < 1e-9, `${ent} vs ${integral}`);
  // Shared [D] log-std broadcasts over the batch: shape [B], the sum of per-dim entropies.
  const h3 = diagGaussianEntropy(tensor(new Float64Array(12), [4, 3]), tensor([ls, ls, ls]));
  assert.deepEqual(h3.shape, [4]);
  for (const v of h3.data) assert.ok(Math.abs(v - 3 * ent) < 1e-12);
});

test("Gaussian entropy equals -E[log p] by sampling in 3-D (within 4 standard errors)", () => {
  const batch = 20000;
  const mean = [0.3, -1, 2];
  const ls = [0.5, -1.5, 0];
  const meanData = new Float64Array(batch * 3);
  for (let i = 0; i < batch; i++) meanData.set(mean, i * 3);
  const u = new Float64Array(batch * 3);
  diagGaussianSample(meanData, ls, batch, 3, new Rng(20), u);
  const lp = diagGaussianLogProb(tensor(meanData, [batch, 3]), tensor(ls), tensor(u, [batch, 3]));
  const negLp = lp.data.map((v) => -v);
  const { mean: m, se } = meanAndSe(negLp);
  const h = diagGaussianEntropy(tensor(meanData, [batch, 3]), tensor(ls)).data[0];
  assert.ok(Math.abs(m - h) <= 4 * se, `-E[log p] ${m} vs H ${h} (se ${se})`);
});

test("Gaussian samples have the right mean and variance per dimension (within 4 standard errors)", () => {
  const batch = 40000;
  const mean = [1, -2];
  // Per-row log-std this time ([batch, dim]), every row the same.
  const meanData = new Float64Array(batch * 2);
  const lsData = new Float64Array(batch * 2);
  for (let i = 0; i < batch; i++) {
    meanData.set(mean, i * 2);
    lsData.set([-0.5, 0.7], i * 2);
  }
  const u = new Float64Array(batch * 2);
  diagGaussianSample(meanData, lsData, batch, 2, new Rng(21), u);
  for (let d = 0; d < 2; d++) {
    const col = Float64Array.from({ length: batch }, (_, i) => u[i * 2 + d]);
    const { mean: m, se, variance } = meanAndSe(col);
    const sigma2 = Math.exp(2 * lsData[d]);
    assert.ok(Math.abs(m - mean[d]) <= 4 * se, `dim ${d}: mean ${m}`);
    // The sample variance of a Gaussian has standard error sigma^2 sqrt(2 / (n - 1)).
    const seVar = sigma2 * Math.sqrt(2 / (batch - 1));
    assert.ok(
      Math.abs(variance - sigma2) <= 4 * seVar,
      `dim ${d}: variance ${variance} vs ${sigma2}`,
    );
  }
});

test("Gaussian mode is the mean; sampling repeats with the seed", () => {
  const mean = Float64Array.from([1, 2, 3, 4]);
  const out = new Float64Array(4);
  diagGaussianMode(mean, 2, 2, out);
  assert.deepEqual(out, mean);
  const a = new Float64Array(4);
  const b = new Float64Array(4);
  diagGaussianSample(mean, [0, 0], 2, 2, new Rng(22), a);
  diagGaussianSample(mean, [0, 0], 2, 2, new Rng(22), b);
  assert.deepEqual(a, b);
  assert.throws(
    () => diagGaussianSample(mean, [0, 0, 0], 2, 2, new Rng(0), a),
    /logStd has 3 values/,
  );
});

test("logTanhJacobian equals log(1 - tanh(u)^2) and stays finite and accurate where that underflows", () => {
  const u = [-5, -1, -1e-3, 0, 0.5, 3, 7];
  const got = logTanhJacobian(tensor(u)).data;
  for (let i = 0; i < u.length; i++) {
    const t = Math.tanh(u[i]);
    const naive = Math.log(1 - t * t);
    assert.ok(Math.abs(got[i] - naive) < 1e-10, `u ${u[i]}: ${got[i]} vs ${naive}`);
  }
  // For |u| >= 20, 1 - tanh^2 rounds to 0 (log = -inf); the exact value is 2 log 2 - 2|u| +
  // O(e^{-2|u|}), and the brief's form 2 (log 2 - u - softplus(-2u)) agrees.
  for (const v of [20, -25, 300]) {
    const val = logTanhJacobian(tensor([v])).data[0];
    assert.ok(Number.isFinite(val));
    assert.ok(Math.abs(val - (2 * Math.LN2 - 2 * Math.abs(v))) < 1e-12, `u ${v}: ${val}`);
    const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    assert.ok(Math.abs(val - 2 * (Math.LN2 - v - softplus(-2 * v))) < 1e-9);
  }
});

/** Standard-normal-based squashed 1-D setup used by the change-of-variables tests. */
const SQ = { mu: 0.3, ls: -0.2, lo: -2, hi: 3 };
/** Squashed densities at actions `as` (one batched call of the library function). */
function squashedPdfAt(as: Float64Array): Float64Array {
  // Invert the squash only here, in the test (the library never does): u = atanh(y).
  const u = as.map((a) => Math.atanh((2 * (a - SQ.lo)) / (SQ.hi - SQ.lo) - 1));
  const n = as.length;
  const mean = tensor(new Float64Array(n).fill(SQ.mu), [n, 1]);
  const lp = squashedGaussianLogProb(mean, tensor([SQ.ls]), tensor(u, [n, 1]), [SQ.lo], [SQ.hi]);
  return lp.data.map(Math.exp);
}
/** Gaussian densities of N(mu, exp(ls)^2) at points `xs`. */
function gaussPdfAt(mu: number, ls: number, xs: Float64Array): Float64Array {
  const n = xs.length;
  const mean = tensor(new Float64Array(n).fill(mu), [n, 1]);
  return diagGaussianLogProb(mean, tensor([ls]), tensor(xs, [n, 1])).data.map(Math.exp);
}
function squash1(u: number): number {
  const out = new Float64Array(1);
  squashToBox([u], [SQ.lo], [SQ.hi], 1, out);
  return out[0];
}

test("tanh-squashed log-prob: change of variables, interval masses agree with the Gaussian's (1e-8)", () => {
  // P(a1 < A < a2) integrated in action space with the squashed density must equal
  // P(u1 < U < u2) integrated in pre-squash space with the Gaussian density, u_i the pre-images.
  const simpson = (pdf: (xs: Float64Array) => Float64Array, lo: number, hi: number, n = 4000) => {
    const h = (hi - lo) / n;
    const ys = pdf(Float64Array.from({ length: n + 1 }, (_, i) => lo + i * h));
    let s = 0;
    for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2) * ys[i];
    return (s * h) / 3;
  };
  for (const [u1, u2] of [
    [-0.5, 0.4],
    [0.4, 1.5],
    [-2, -1],
    [1.5, 3],
  ]) {
    const massU = simpson((xs) => gaussPdfAt(SQ.mu, SQ.ls, xs), u1, u2);
    const massA = simpson(squashedPdfAt, squash1(u1), squash1(u2));
    assert.ok(Math.abs(massA - massU) < 1e-8, `[${u1}, ${u2}]: ${massA} vs ${massU}`);
  }
  // And the squashed density integrates to 1 over the open box (midpoint rule avoids the endpoints).
  const n = 200000;
  const h = (SQ.hi - SQ.lo) / n;
  const ys = squashedPdfAt(Float64Array.from({ length: n }, (_, i) => SQ.lo + (i + 0.5) * h));
  let total = 0;
  for (const y of ys) total += y;
  assert.ok(Math.abs(total * h - 1) < 1e-6, `integral ${total * h}`);
});

test("tanh-squashed log-prob matches a histogram of squashed samples (each bin within 4 standard errors)", () => {
  const n = 100000;
  const mean = new Float64Array(n).fill(SQ.mu);
  const u = new Float64Array(n);
  diagGaussianSample(mean, [SQ.ls], n, 1, new Rng(23), u);
  const a = new Float64Array(n);
  squashToBox(u, [SQ.lo], [SQ.hi], n, a);
  const bins = 20;
  const width = (SQ.hi - SQ.lo) / bins;
  const counts = new Float64Array(bins);
  for (const v of a) counts[Math.min(bins - 1, Math.floor((v - SQ.lo) / width))]++;
  for (let b = 0; b < bins; b++) {
    // Bin probability from the density: midpoint rule with 200 sub-intervals.
    const m = 200;
    const ys = squashedPdfAt(
      Float64Array.from({ length: m }, (_, j) => SQ.lo + (b + (j + 0.5) / m) * width),
    );
    let p = 0;
    for (const y of ys) p += y;
    p *= width / m;
    const se = Math.sqrt((p * (1 - p)) / n);
    const freq = counts[b] / n;
    assert.ok(
      Math.abs(freq - p) <= 4 * se + 1e-12,
      `bin ${b}: frequency ${freq} vs ${p} (se ${se})`,
    );
  }
});

test("tanh-squashed log-prob of u is the Gaussian's minus the log-Jacobian, in several dimensions", () => {
  const low = [-1, 0, -3];
  const high = [1, 2, 5];
  const mean = tensor([0.1, -0.4, 1.3, 0.2, 0.2, -2], [2, 3]);
  const ls = tensor([-0.3, 0.2, 0.5]);
  const u = tensor([0.5, -1.2, 2, 0, 19, -30], [2, 3]);
  const got = squashedGaussianLogProb(mean, ls, u, low, high).data;
  const base = diagGaussianLogProb(mean, ls, u).data;
  for (let i = 0; i < 2; i++) {
    let jac = 0;
    for (let d = 0; d < 3; d++) {
      const v = u.data[i * 3 + d];
      // log(1 - tanh^2) = -2 log cosh u, computed here from its own stable form.
      jac += -2 * (Math.abs(v) + Math.log1p(Math.exp(-2 * Math.abs(v))) - Math.LN2);
      jac += Math.log((high[d] - low[d]) / 2);
    }
    assert.ok(
      Math.abs(got[i] - (base[i] - jac)) < 1e-10,
      `row ${i}: ${got[i]} vs ${base[i] - jac}`,
    );
  }
  assert.ok(Math.abs(logHalfRange(low, high) - Math.log(1 * 1 * 4)) < 1e-15);
  // The reported entropy is the pre-squash Gaussian's (no closed form after the squash).
  assert.deepEqual(squashedGaussianEntropy(mean, ls).data, diagGaussianEntropy(mean, ls).data);
});

test("clipToBox and squashToBox always land inside the bounds, even for huge or infinite u", () => {
  const low = [-2, 0.5];
  const high = [2, 0.75];
  const u = [-1e300, 1e300, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.3, 0.6, 40, -40];
  const batch = u.length / 2;
  const outC = new Float64Array(u.length);
  const outS = new Float64Array(u.length);
  clipToBox(u, low, high, batch, outC);
  squashToBox(u, low, high, batch, outS);
  for (let i = 0; i < u.length; i++) {
    const d = i % 2;
    for (const out of [outC, outS]) {
      assert.ok(
        out[i] >= low[d] && out[i] <= high[d],
        `element ${i}: ${out[i]} outside [${low[d]}, ${high[d]}]`,
      );
    }
  }
  assert.equal(outC[4], 0.3);
  assert.equal(outC[5], 0.6);
  assert.equal(outC[6], 2);
  assert.equal(outC[7], 0.5);
  // tanh mode: the squash of u = mean is low + (tanh(mean) + 1) (high - low) / 2.
  assert.ok(Math.abs(outS[4] - (-2 + (Math.tanh(0.3) + 1) * 2)) < 1e-15);
});

test("Gaussian gradients match central finite differences (rel err <= 1e-6): logProb, entropy, squashed, rsample", () => {
  const rng = new Rng(24);
  const rand = (n: number, s = 1) => Float64Array.from({ length: n }, () => s * rng.normal());
  const x = tensor(rand(6, 1.5), [2, 3]);
  const w = tensor([0.8, -1.7]);
  const cases: [string, Params, (p: Params) => ReturnType<typeof sum>][] = [
    [
      "logProb, shared logStd",
      { mean: tensor(rand(6), [2, 3]), logStd: tensor(rand(3, 0.5)) },
      (p) => sum(mul(diagGaussianLogProb(p.mean, p.logStd, x), w)),
    ],
    [
      "logProb, per-row logStd",
      { mean: tensor(rand(6), [2, 3]), logStd: tensor(rand(6, 0.5), [2, 3]) },
      (p) => sum(mul(diagGaussianLogProb(p.mean, p.logStd, x), w)),
    ],
    [
      "entropy, shared and per-row",
      { mean: tensor(rand(6), [2, 3]), logStd: tensor(rand(3, 0.5)), ls2: tensor(rand(6), [2, 3]) },
      (p) =>
        add(
          sum(mul(diagGaussianEntropy(p.mean, p.logStd), w)),
          sum(mul(diagGaussianEntropy(p.mean, p.ls2), w)),
        ),
    ],
    [
      "squashed logProb in mean, logStd and u (u near 0, moderate and large)",
      {
        mean: tensor(rand(6), [2, 3]),
        logStd: tensor(rand(3, 0.5)),
        u: tensor([0.3, -1.1, 2.5, 1e-3, -0.2, 12], [2, 3]),
      },
      (p) => sum(mul(squashedGaussianLogProb(p.mean, p.logStd, p.u, [-1, 0, -2], [1, 3, 2]), w)),
    ],
    [
      "rsample then squashed logProb (pathwise)",
      { mean: tensor(rand(6), [2, 3]), logStd: tensor(rand(3, 0.5)) },
      (p) => {
        const u = diagGaussianRsample(p.mean, p.logStd, x);
        return sum(mul(squashedGaussianLogProb(p.mean, p.logStd, u), w));
      },
    ],
  ];
  for (const [name, params, f] of cases) {
    const err = gradcheck(f, params);
    assert.ok(err <= 1e-6, `${name}: relative error ${err}`);
  }
  // The log-Jacobian's derivative at exactly u = 0 is 0 (-2 tanh 0); no kink there.
  const err0 = gradcheck((p) => sum(mul(logTanhJacobian(p.u), tensor([1, 2]))), {
    u: tensor([0, 0.7]),
  });
  assert.ok(err0 <= 1e-6, `logTanhJacobian at 0: ${err0}`);
});

test("fillStandardNormal: N(0, 1) moments, writes only its range, and consumes 2 ceil(n/2) uniforms", () => {
  const n = 50001; // odd on purpose
  const out = new Float64Array(n + 2).fill(7);
  fillStandardNormal(new Rng(25), out, 1, n);
  assert.equal(out[0], 7);
  assert.equal(out[n + 1], 7);
  const z = out.subarray(1, n + 1);
  const { mean: m, variance } = meanAndSe(z);
  // Standard errors: 1/sqrt(n) for the mean, sqrt(2/(n-1)) for the variance.
  assert.ok(Math.abs(m) <= 4 / Math.sqrt(n), `mean ${m}`);
  assert.ok(Math.abs(variance - 1) <= 4 * Math.sqrt(2 / (n - 1)), `variance ${variance}`);
  // Odd n draws one whole pair more: the stream afterwards matches 2 ceil(n/2) uniform draws, and
  // the first n values equal those of the even call n + 1.
  const a = new Rng(26);
  const b = new Rng(26);
  const three = new Float64Array(3);
  const four = new Float64Array(4);
  fillStandardNormal(a, three, 0, 3);
  fillStandardNormal(b, four, 0, 4);
  assert.deepEqual(Array.from(three), Array.from(four.subarray(0, 3)));
  const c = new Rng(26);
  for (let i = 0; i < 4; i++) c.uniform();
  assert.deepEqual(a.getState(), c.getState());
});

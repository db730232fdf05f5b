import assert from "node:assert/strict";
import { test } from "node:test";
import {
  matmulABtAdd,
  matmulAtBAdd,
  matmulInto,
  tanhFast,
} from "../../../src/core/backend/kernels.ts";
import * as T from "../../../src/core/index.ts";
import { tensor } from "../../../src/core/index.ts";
import { gradcheck } from "../gradcheck.ts";

test("tanhFast is within 1e-15 relative of Math.tanh, and exact at the special values", () => {
  const rng = new T.Rng(7);
  let worst = 0;
  for (const scale of [1e-300, 1e-12, 1e-4, 0.01, 0.1, 0.5, 1, 3, 10, 19, 30]) {
    for (let k = 0; k < 20000; k++) {
      const x = rng.uniformRange(-scale, scale);
      const want = Math.tanh(x);
      const rel =
        want === 0 ? Math.abs(tanhFast(x)) : Math.abs(tanhFast(x) - want) / Math.abs(want);
      worst = Math.max(worst, rel);
    }
  }
  assert.ok(worst <= 1e-15, `worst relative error ${worst}`);
  // Grid points and half-way points, where the table index rounds.
  for (let i = -1300; i <= 1300; i++) {
    for (const x of [i / 64, (i + 0.5) / 64]) {
      const want = Math.tanh(x);
      assert.ok(Math.abs(tanhFast(x) - want) <= 1e-15 * Math.abs(want), `x = ${x}`);
    }
  }
  assert.ok(Number.isNaN(tanhFast(Number.NaN)));
  assert.equal(tanhFast(Number.POSITIVE_INFINITY), 1);
  assert.equal(tanhFast(Number.NEGATIVE_INFINITY), -1);
  assert.ok(Object.is(tanhFast(-0), -0));
  assert.equal(tanhFast(5e-324), 5e-324);
});

/** The kernels on M rows against the same kernels run one row at a time, bit for bit. */
test("single-row kernel paths give the same bits as the tiled batch paths", () => {
  const rng = new T.Rng(11);
  for (const [M, K, N] of [
    [5, 9, 19],
    [4, 64, 64],
    [6, 4, 2],
    [3, 17, 8],
  ]) {
    const a = rng.fillNormal(new Float64Array(M * K)) as Float64Array;
    const b = rng.fillNormal(new Float64Array(K * N)) as Float64Array;
    const bias = rng.fillNormal(new Float64Array(N)) as Float64Array;
    const g = rng.fillNormal(new Float64Array(M * N)) as Float64Array;
    const out = new Float64Array(M * N);
    matmulInto(a, b, bias, out, M, K, N);
    const gx = new Float64Array(M * K);
    matmulABtAdd(g, b, gx, M, N, K);
    for (let i = 0; i < M; i++) {
      const row = new Float64Array(N);
      matmulInto(a.subarray(i * K, (i + 1) * K), b, bias, row, 1, K, N);
      assert.deepEqual(
        row,
        out.subarray(i * N, (i + 1) * N),
        `matmulInto row ${i} of ${M}x${K}x${N}`,
      );
      // The input gradient: a row inside a batch sums its terms in order; a batch of one row sums
      // the even and the odd terms apart, then adds the two (kernels.ts rowDotsAdd).
      const gxRow = new Float64Array(K);
      matmulABtAdd(g.subarray(i * N, (i + 1) * N), b, gxRow, 1, N, K);
      for (let k = 0; k < K; k++) {
        let inOrder = 0;
        let even = 0;
        let odd = 0;
        for (let j = 0; j < N; j++) {
          const t = g[i * N + j] * b[k * N + j];
          inOrder += t;
          if (j % 2 === 0) even += t;
          else odd += t;
        }
        assert.equal(gx[i * K + k], inOrder, `matmulABtAdd row ${i} of ${M}, [${k}]`);
        assert.equal(gxRow[k], even + odd, `matmulABtAdd single row, [${k}]`);
      }
    }
    // The weight gradient of one row (an outer product) equals the tiled sum over a single row.
    const one = new Float64Array(K * N);
    matmulAtBAdd(a.subarray(0, K), g.subarray(0, N), one, 1, K, N);
    const ref = new Float64Array(K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) ref[k * N + j] = a[k] * g[j];
    assert.deepEqual(one, ref, `matmulAtBAdd one row ${K}x${N}`);
  }
});

// Gradchecks through the single-row paths (8-wide blocks plus edges).
test("grad dense, batch 1 (row paths)", () =>
  gradcheck((x, w, b) => T.dense(x, w, b, "tanh"), [[1, 19], [19, 21], [21]]));
test("grad matmul, batch 1 (row paths)", () =>
  gradcheck(T.matmul, [
    [1, 18],
    [18, 11],
  ]));

// A parameter's first gradient is written in place (no zero fill); later rules add to it.
test("grad dense with the same weight in two layers (write, then accumulate)", () =>
  gradcheck((x, w, b) => T.dense(T.dense(x, w, b, "tanh"), w, b, "none"), [[2, 9], [9, 9], [9]]));
test("grad dense with the same weight in two layers, batch 1", () =>
  gradcheck((x, w, b) => T.dense(T.dense(x, w, b, "tanh"), w, b, "none"), [[1, 9], [9, 9], [9]]));

test("reused gradient arrays: stale values never leak into the next call", () => {
  const rng = new T.Rng(5);
  const x = tensor(rng.fillNormal(new Float64Array(3 * 4)), [3, 4]);
  const params = {
    w: tensor(rng.fillNormal(new Float64Array(4 * 5)), [4, 5]),
    b: tensor(rng.fillNormal(new Float64Array(5)), [5]),
    unused: tensor([1, 2]),
  };
  const f = (p: T.Params) => T.sum(T.dense(x, p.w, p.b, "tanh"));
  const fresh = T.valueAndGrad(f)(params).grads;
  const vg = T.valueAndGrad(f, { reuseGrads: true });
  const first = vg(params).grads;
  for (const name of Object.keys(first)) first[name].fill(7); // scribble over the reused arrays
  const second = vg(params).grads;
  assert.equal(second.w, first.w); // the same arrays...
  assert.deepEqual(second, fresh); // ...holding exactly the fresh gradients
  assert.deepEqual(Array.from(second.unused), [0, 0]);
});

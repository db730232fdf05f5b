/**
 * Register-tiled matrix kernels on raw row-major Float64Arrays, shared by `matmul`, the fused
 * `dense` op and the no-tape MLP inference, so all three give bit-identical numbers.
 *
 * Tiling: each kernel computes a block of its output (2x4, or 4x4 in the input gradient) in local
 * accumulators kept in registers, looping over the reduction dimension once, so each loaded element
 * feeds several multiply-adds instead of one (docs/performance.md). Edges fall back to narrower
 * loops. A single row (batch 1, every environment step) has its own paths: eight accumulators
 * across the row instead of a tile that would be mostly empty.
 *
 * Every output element is summed in the same order on every path (bias, then k ascending), so
 * a row gives the same bits whether it comes alone or inside a batch. One exception, on a
 * gradient: the input gradient of a batch of exactly one row sums its even and odd terms
 * separately (see rowDotsAdd), and the JS and SIMD kernels agree on that order too.
 */

import { expm1 } from "../math.ts";
import { simd } from "./simd.ts";
import { tanhFast } from "./tanh.ts";

export { tanhFast };

/**
 * From this many multiply-adds a product runs in the SIMD module (see simd.ts). Below, the copies
 * in and out cost more than they save (measured: docs/performance.md).
 */
export const SIMD_FROM = 256;

/** From this many elements, tanh in the SIMD module beats the JS loop, copies included. */
const SIMD_TANH_FROM = 256;

/** out[M,N] = a[M,K] @ b[K,N] (+ bias[N] on every row if given). Overwrites out. */
export function matmulInto(
  a: Float64Array,
  b: Float64Array,
  bias: Float64Array | null,
  out: Float64Array,
  M: number,
  K: number,
  N: number,
): void {
  if (!simdProduct(a, b, bias, out, M, K, N, false)) jsMatmul(a, b, bias, out, M, K, N);
}

/**
 * The product in the SIMD module, with tanh fused if asked: false where it does not run there (SIMD off or missing, odd N, fewer than SIMD_FROM
 * multiply-adds, or no memory), and the caller runs JS.
 */
function simdProduct(
  a: Float64Array,
  b: Float64Array,
  bias: Float64Array | null,
  out: Float64Array,
  M: number,
  K: number,
  N: number,
  tanh: boolean,
): boolean {
  if ((N & 1) !== 0 || M * K * N < SIMD_FROM) return false;
  return simd()?.matmul(a, b, bias, out, M, K, N, tanh) === true;
}

/**
 * {@link matmulInto} in JS. Tiles of 2 rows x 4 columns, which fit the registers where a 4x4
 * tile spills (docs/performance.md). A leftover row takes the single-row path.
 */
function jsMatmul(
  a: Float64Array,
  b: Float64Array,
  bias: Float64Array | null,
  out: Float64Array,
  M: number,
  K: number,
  N: number,
): void {
  const N4 = N - (N % 4);
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const r0 = i * K;
    const r1 = r0 + K;
    for (let j = 0; j < N4; j += 4) {
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      if (bias !== null) {
        s00 = bias[j];
        s01 = bias[j + 1];
        s02 = bias[j + 2];
        s03 = bias[j + 3];
      }
      let s10 = s00,
        s11 = s01,
        s12 = s02,
        s13 = s03;
      for (let k = 0, bk = j; k < K; k = (k + 1) | 0, bk = (bk + N) | 0) {
        const a0 = a[(r0 + k) | 0];
        const a1 = a[(r1 + k) | 0];
        const b0 = b[bk];
        const b1 = b[(bk + 1) | 0];
        const b2 = b[(bk + 2) | 0];
        const b3 = b[(bk + 3) | 0];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s02 += a0 * b2;
        s03 += a0 * b3;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s12 += a1 * b2;
        s13 += a1 * b3;
      }
      const o = i * N + j;
      out[o] = s00;
      out[o + 1] = s01;
      out[o + 2] = s02;
      out[o + 3] = s03;
      out[o + N] = s10;
      out[o + N + 1] = s11;
      out[o + N + 2] = s12;
      out[o + N + 3] = s13;
    }
    for (let j = N4; j < N; j++) {
      let s0 = bias === null ? 0 : bias[j];
      let s1 = s0;
      for (let k = 0, bk = j; k < K; k = (k + 1) | 0, bk = (bk + N) | 0) {
        const bv = b[bk];
        s0 += a[(r0 + k) | 0] * bv;
        s1 += a[(r1 + k) | 0] * bv;
      }
      out[i * N + j] = s0;
      out[(i + 1) * N + j] = s1;
    }
  }
  if (i < M) rowTimesMatrix(a, i * K, b, bias, out, i * N, K, N);
}

/**
 * out[o..o+N] = a[r..r+K] @ b[K,N] (+ bias): one row. Eight accumulators across the row, so each
 * a[k] feeds eight multiply-adds and b is read once, row by row. `| 0` keeps the index arithmetic
 * in int32 without overflow checks.
 */
function rowTimesMatrix(
  a: Float64Array,
  r: number,
  b: Float64Array,
  bias: Float64Array | null,
  out: Float64Array,
  o: number,
  K: number,
  N: number,
): void {
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      s5 = 0,
      s6 = 0,
      s7 = 0;
    if (bias !== null) {
      s0 = bias[j];
      s1 = bias[j + 1];
      s2 = bias[j + 2];
      s3 = bias[j + 3];
      s4 = bias[j + 4];
      s5 = bias[j + 5];
      s6 = bias[j + 6];
      s7 = bias[j + 7];
    }
    for (let k = 0, bk = j; k < K; k = (k + 1) | 0, bk = (bk + N) | 0) {
      const av = a[(r + k) | 0];
      s0 += av * b[bk];
      s1 += av * b[(bk + 1) | 0];
      s2 += av * b[(bk + 2) | 0];
      s3 += av * b[(bk + 3) | 0];
      s4 += av * b[(bk + 4) | 0];
      s5 += av * b[(bk + 5) | 0];
      s6 += av * b[(bk + 6) | 0];
      s7 += av * b[(bk + 7) | 0];
    }
    const q = o + j;
    out[q] = s0;
    out[q + 1] = s1;
    out[q + 2] = s2;
    out[q + 3] = s3;
    out[q + 4] = s4;
    out[q + 5] = s5;
    out[q + 6] = s6;
    out[q + 7] = s7;
  }
  // Leftover columns two at a time: two independent add chains (a policy head often has N = 2).
  for (; j + 2 <= N; j += 2) {
    let s0 = 0;
    let s1 = 0;
    if (bias !== null) {
      s0 = bias[j];
      s1 = bias[j + 1];
    }
    for (let k = 0, bk = j; k < K; k = (k + 1) | 0, bk = (bk + N) | 0) {
      const av = a[(r + k) | 0];
      s0 += av * b[bk];
      s1 += av * b[(bk + 1) | 0];
    }
    out[o + j] = s0;
    out[o + j + 1] = s1;
  }
  for (; j < N; j++) {
    let s = bias === null ? 0 : bias[j];
    for (let k = 0, bk = j; k < K; k++, bk += N) s += a[r + k] * b[bk];
    out[o + j] = s;
  }
}

/**
 * out[K,N] += a[M,K]^T @ g[M,N] (the weight gradient); with `overwrite`, out = a^T g instead (out's
 * old contents are ignored, so the caller need not zero it).
 */
export function matmulAtBAdd(
  a: Float64Array,
  g: Float64Array,
  out: Float64Array,
  M: number,
  K: number,
  N: number,
  overwrite = false,
): void {
  if ((N & 1) === 0 && M * K * N >= SIMD_FROM) {
    const s = simd();
    if (s?.matmulAtB(a, g, out, M, K, N, overwrite)) return;
  }
  if (M === 1) {
    outerProductAdd(a, g, out, K, N, overwrite);
    return;
  }
  if (overwrite) out.fill(0, 0, K * N);
  // 2 x 4 tiles of out, the reduction running down the rows of a and g (4 x 4 spills; see
  // matmulInto).
  const N4 = N - (N % 4);
  let k = 0;
  for (; k + 2 <= K; k += 2) {
    for (let j = 0; j < N4; j += 4) {
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (
        let i = 0, ai = k, gi = j;
        i < M;
        i = (i + 1) | 0, ai = (ai + K) | 0, gi = (gi + N) | 0
      ) {
        const a0 = a[ai];
        const a1 = a[(ai + 1) | 0];
        const g0 = g[gi];
        const g1 = g[(gi + 1) | 0];
        const g2 = g[(gi + 2) | 0];
        const g3 = g[(gi + 3) | 0];
        s00 += a0 * g0;
        s01 += a0 * g1;
        s02 += a0 * g2;
        s03 += a0 * g3;
        s10 += a1 * g0;
        s11 += a1 * g1;
        s12 += a1 * g2;
        s13 += a1 * g3;
      }
      const o = k * N + j;
      out[o] += s00;
      out[o + 1] += s01;
      out[o + 2] += s02;
      out[o + 3] += s03;
      out[o + N] += s10;
      out[o + N + 1] += s11;
      out[o + N + 2] += s12;
      out[o + N + 3] += s13;
    }
    for (let j = N4; j < N; j++) {
      let s0 = 0;
      let s1 = 0;
      for (
        let i = 0, ai = k, gi = j;
        i < M;
        i = (i + 1) | 0, ai = (ai + K) | 0, gi = (gi + N) | 0
      ) {
        const gv = g[gi];
        s0 += a[ai] * gv;
        s1 += a[(ai + 1) | 0] * gv;
      }
      out[k * N + j] += s0;
      out[(k + 1) * N + j] += s1;
    }
  }
  for (; k < K; k++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let i = 0, ai = k, gi = j; i < M; i++, ai += K, gi += N) s += a[ai] * g[gi];
      out[k * N + j] += s;
    }
  }
}

/**
 * out[K,N] += a[K] (x) g[N] (or = with `overwrite`): the weight gradient of one row. Eight entries
 * of g stay in registers while the loop walks down the rows of out. Overwriting skips both the
 * zero fill and the read of every element: a third of a batch-1 step's largest gradient.
 */
function outerProductAdd(
  a: Float64Array,
  g: Float64Array,
  out: Float64Array,
  K: number,
  N: number,
  overwrite: boolean,
): void {
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const g0 = g[j];
    const g1 = g[j + 1];
    const g2 = g[j + 2];
    const g3 = g[j + 3];
    const g4 = g[j + 4];
    const g5 = g[j + 5];
    const g6 = g[j + 6];
    const g7 = g[j + 7];
    if (overwrite) {
      for (let k = 0, o = j; k < K; k = (k + 1) | 0, o = (o + N) | 0) {
        const av = a[k];
        out[o] = av * g0;
        out[(o + 1) | 0] = av * g1;
        out[(o + 2) | 0] = av * g2;
        out[(o + 3) | 0] = av * g3;
        out[(o + 4) | 0] = av * g4;
        out[(o + 5) | 0] = av * g5;
        out[(o + 6) | 0] = av * g6;
        out[(o + 7) | 0] = av * g7;
      }
    } else {
      for (let k = 0, o = j; k < K; k = (k + 1) | 0, o = (o + N) | 0) {
        const av = a[k];
        out[o] += av * g0;
        out[(o + 1) | 0] += av * g1;
        out[(o + 2) | 0] += av * g2;
        out[(o + 3) | 0] += av * g3;
        out[(o + 4) | 0] += av * g4;
        out[(o + 5) | 0] += av * g5;
        out[(o + 6) | 0] += av * g6;
        out[(o + 7) | 0] += av * g7;
      }
    }
  }
  for (; j < N; j++) {
    const gv = g[j];
    if (overwrite) for (let k = 0, o = j; k < K; k++, o += N) out[o] = a[k] * gv;
    else for (let k = 0, o = j; k < K; k++, o += N) out[o] += a[k] * gv;
  }
}

/** out[M,K] += g[M,N] @ b[K,N]^T (the input gradient). */
export function matmulABtAdd(
  g: Float64Array,
  b: Float64Array,
  out: Float64Array,
  M: number,
  N: number,
  K: number,
): void {
  if (((M === 1 ? N : K) & 1) === 0 && M * K * N >= SIMD_FROM) {
    const s = simd();
    if (s?.matmulABt(g, b, out, M, N, K)) return;
  }
  if (M === 1) {
    rowDotsAdd(g, b, out, N, K);
    return;
  }
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const r0 = i * N;
    const r1 = r0 + N;
    const r2 = r1 + N;
    const r3 = r2 + N;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const q0 = k * N;
      const q1 = q0 + N;
      const q2 = q1 + N;
      const q3 = q2 + N;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0;
      let s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let j = 0; j < N; j++) {
        const g0 = g[r0 + j];
        const g1 = g[r1 + j];
        const g2 = g[r2 + j];
        const g3 = g[r3 + j];
        const b0 = b[q0 + j];
        const b1 = b[q1 + j];
        const b2 = b[q2 + j];
        const b3 = b[q3 + j];
        s00 += g0 * b0;
        s01 += g0 * b1;
        s02 += g0 * b2;
        s03 += g0 * b3;
        s10 += g1 * b0;
        s11 += g1 * b1;
        s12 += g1 * b2;
        s13 += g1 * b3;
        s20 += g2 * b0;
        s21 += g2 * b1;
        s22 += g2 * b2;
        s23 += g2 * b3;
        s30 += g3 * b0;
        s31 += g3 * b1;
        s32 += g3 * b2;
        s33 += g3 * b3;
      }
      let o = i * K + k;
      out[o] += s00;
      out[o + 1] += s01;
      out[o + 2] += s02;
      out[o + 3] += s03;
      o += K;
      out[o] += s10;
      out[o + 1] += s11;
      out[o + 2] += s12;
      out[o + 3] += s13;
      o += K;
      out[o] += s20;
      out[o + 1] += s21;
      out[o + 2] += s22;
      out[o + 3] += s23;
      o += K;
      out[o] += s30;
      out[o + 1] += s31;
      out[o + 2] += s32;
      out[o + 3] += s33;
    }
    for (; k < K; k++) {
      const q = k * N;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < N; j++) {
        const bv = b[q + j];
        s0 += g[r0 + j] * bv;
        s1 += g[r1 + j] * bv;
        s2 += g[r2 + j] * bv;
        s3 += g[r3 + j] * bv;
      }
      out[i * K + k] += s0;
      out[(i + 1) * K + k] += s1;
      out[(i + 2) * K + k] += s2;
      out[(i + 3) * K + k] += s3;
    }
  }
  for (; i < M; i++) {
    // One row: eight (then four) dot products at once, so independent add chains hide the add
    // latency and each g[j] feeds several multiply-adds.
    const r = i * N;
    const o = i * K;
    let k = 0;
    for (; k + 8 <= K; k += 8) {
      const q = k * N;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        s4 = 0,
        s5 = 0,
        s6 = 0,
        s7 = 0;
      for (let j = 0, qj = q; j < N; j = (j + 1) | 0, qj = (qj + 1) | 0) {
        const gv = g[(r + j) | 0];
        s0 += gv * b[qj];
        s1 += gv * b[(qj + N) | 0];
        s2 += gv * b[(qj + 2 * N) | 0];
        s3 += gv * b[(qj + 3 * N) | 0];
        s4 += gv * b[(qj + 4 * N) | 0];
        s5 += gv * b[(qj + 5 * N) | 0];
        s6 += gv * b[(qj + 6 * N) | 0];
        s7 += gv * b[(qj + 7 * N) | 0];
      }
      out[o + k] += s0;
      out[o + k + 1] += s1;
      out[o + k + 2] += s2;
      out[o + k + 3] += s3;
      out[o + k + 4] += s4;
      out[o + k + 5] += s5;
      out[o + k + 6] += s6;
      out[o + k + 7] += s7;
    }
    for (; k + 4 <= K; k += 4) {
      const q0 = k * N;
      const q1 = q0 + N;
      const q2 = q1 + N;
      const q3 = q2 + N;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < N; j++) {
        const gv = g[r + j];
        s0 += gv * b[q0 + j];
        s1 += gv * b[q1 + j];
        s2 += gv * b[q2 + j];
        s3 += gv * b[q3 + j];
      }
      out[o + k] += s0;
      out[o + k + 1] += s1;
      out[o + k + 2] += s2;
      out[o + k + 3] += s3;
    }
    for (; k < K; k++) {
      const q = k * N;
      let s = 0;
      for (let j = 0; j < N; j++) s += g[r + j] * b[q + j];
      out[o + k] += s;
    }
  }
}

/**
 * out[k] += e + o, where e and o sum g[j] * b[k, j] over the even and the odd j (each in
 * ascending j): the input gradient of a single row, as K dot products along b's rows. This is
 * the order of the SIMD kernel, which reads b[k, j..j+1] as one vector and keeps the two sums in
 * its lanes; reading b row by row is what makes it fast there (a product against b^T gathers two
 * scalars per vector from different rows). Four rows at a time, so eight sums are in flight.
 */
function rowDotsAdd(
  g: Float64Array,
  b: Float64Array,
  out: Float64Array,
  N: number,
  K: number,
): void {
  const N2 = N - (N & 1);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const q0 = k * N;
    const q1 = q0 + N;
    const q2 = q1 + N;
    const q3 = q2 + N;
    let e0 = 0,
      o0 = 0,
      e1 = 0,
      o1 = 0,
      e2 = 0,
      o2 = 0,
      e3 = 0,
      o3 = 0;
    for (let j = 0; j < N2; j = (j + 2) | 0) {
      const ge = g[j];
      const go = g[(j + 1) | 0];
      e0 += ge * b[(q0 + j) | 0];
      o0 += go * b[(q0 + j + 1) | 0];
      e1 += ge * b[(q1 + j) | 0];
      o1 += go * b[(q1 + j + 1) | 0];
      e2 += ge * b[(q2 + j) | 0];
      o2 += go * b[(q2 + j + 1) | 0];
      e3 += ge * b[(q3 + j) | 0];
      o3 += go * b[(q3 + j + 1) | 0];
    }
    if (N2 < N) {
      const ge = g[N2];
      e0 += ge * b[q0 + N2];
      e1 += ge * b[q1 + N2];
      e2 += ge * b[q2 + N2];
      e3 += ge * b[q3 + N2];
    }
    out[k] += e0 + o0;
    out[k + 1] += e1 + o1;
    out[k + 2] += e2 + o2;
    out[k + 3] += e3 + o3;
  }
  for (; k < K; k++) {
    const q = k * N;
    let e = 0;
    let o = 0;
    for (let j = 0; j < N2; j += 2) {
      e += g[j] * b[q + j];
      o += g[j + 1] * b[q + j + 1];
    }
    if (N2 < N) e += g[N2] * b[q + N2];
    out[k] += e + o;
  }
}

/**
 * out[j] += sum_i g[i, j] over g [M, N] (= with `overwrite`): the bias gradient. Four columns at a
 * time in registers, so out is written once per column rather than once per row.
 */
export function columnSums(
  g: Float64Array,
  out: Float64Array,
  M: number,
  N: number,
  overwrite: boolean,
): void {
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0, o = j; i < M; i = (i + 1) | 0, o = (o + N) | 0) {
      s0 += g[o];
      s1 += g[(o + 1) | 0];
      s2 += g[(o + 2) | 0];
      s3 += g[(o + 3) | 0];
    }
    if (overwrite) {
      out[j] = s0;
      out[j + 1] = s1;
      out[j + 2] = s2;
      out[j + 3] = s3;
    } else {
      out[j] += s0;
      out[j + 1] += s1;
      out[j + 2] += s2;
      out[j + 3] += s3;
    }
  }
  for (; j < N; j++) {
    let s = 0;
    for (let i = 0, o = j; i < M; i++, o += N) s += g[o];
    out[j] = overwrite ? s : out[j] + s;
  }
}

/** Activations of the fused dense layer; "none" is the identity. */
export type DenseActivation = "tanh" | "relu" | "elu" | "none";

/**
 * out[M,N] = act(a[M,K] @ b[K,N] + bias[N]): the fused dense layer's forward. When the product
 * runs in the SIMD module, tanh is applied there too, before the one copy out.
 */
export function denseInto(
  a: Float64Array,
  b: Float64Array,
  bias: Float64Array | null,
  out: Float64Array,
  M: number,
  K: number,
  N: number,
  act: DenseActivation,
): void {
  if (simdProduct(a, b, bias, out, M, K, N, act === "tanh")) {
    if (act !== "tanh") activateInPlace(out, M * N, act);
  } else {
    jsMatmul(a, b, bias, out, M, K, N);
    activateInPlace(out, M * N, act);
  }
}

/** y = act(y) in place over the first n elements. */
export function activateInPlace(y: Float64Array, n: number, act: DenseActivation): void {
  if (act === "tanh" && n >= SIMD_TANH_FROM) {
    const s = simd();
    if (s?.tanh(y, n)) return;
  }
  if (act === "tanh") {
    for (let i = 0; i < n; i++) y[i] = tanhFast(y[i]);
  } else if (act === "relu") {
    for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = 0;
  } else if (act === "elu") {
    // ELU with alpha = 1 (Clevert et al., 2016); expm1 keeps precision near 0.
    for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = expm1(y[i]);
  }
}

/**
 * gz[i] = g[i] * act'(z[i]) (gz may be g itself), written from the activation's output y (all
 * three derivatives are functions of y: tanh' = 1 - y^2, relu' = [y > 0], elu' = y + 1 for z <= 0).
 */
export function activationGrad(
  y: Float64Array,
  g: Float64Array,
  gz: Float64Array,
  n: number,
  act: DenseActivation,
): void {
  if (act === "tanh") {
    for (let i = 0; i < n; i++) gz[i] = g[i] * (1 - y[i] * y[i]);
  } else if (act === "relu") {
    for (let i = 0; i < n; i++) gz[i] = y[i] > 0 ? g[i] : 0;
  } else if (act === "elu") {
    for (let i = 0; i < n; i++) gz[i] = y[i] > 0 ? g[i] : g[i] * (y[i] + 1);
  } else {
    for (let i = 0; i < n; i++) gz[i] = g[i];
  }
}

/**
 * Register-tiled matrix kernels on raw row-major Float64Arrays, shared by `matmul`, the fused
 * `dense` op and the no-tape MLP inference, so all three give bit-identical numbers.
 *
 * Tiling: each kernel computes a 4x4 block of its output in 16 local accumulators, looping over the
 * reduction dimension once; V8 keeps the accumulators in registers, so each loaded element feeds
 * four multiply-adds instead of one. Edges fall back to 4x1 / 1x4 / 1x1 loops.
 */

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
  const N4 = N - (N % 4);
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const r0 = i * K;
    const r1 = r0 + K;
    const r2 = r1 + K;
    const r3 = r2 + K;
    for (let j = 0; j < N4; j += 4) {
      const c0 = bias === null ? 0 : bias[j];
      const c1 = bias === null ? 0 : bias[j + 1];
      const c2 = bias === null ? 0 : bias[j + 2];
      const c3 = bias === null ? 0 : bias[j + 3];
      let s00 = c0,
        s01 = c1,
        s02 = c2,
        s03 = c3;
      let s10 = c0,
        s11 = c1,
        s12 = c2,
        s13 = c3;
      let s20 = c0,
        s21 = c1,
        s22 = c2,
        s23 = c3;
      let s30 = c0,
        s31 = c1,
        s32 = c2,
        s33 = c3;
      for (let k = 0, bk = j; k < K; k++, bk += N) {
        const b0 = b[bk];
        const b1 = b[bk + 1];
        const b2 = b[bk + 2];
        const b3 = b[bk + 3];
        const a0 = a[r0 + k];
        const a1 = a[r1 + k];
        const a2 = a[r2 + k];
        const a3 = a[r3 + k];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s02 += a0 * b2;
        s03 += a0 * b3;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s12 += a1 * b2;
        s13 += a1 * b3;
        s20 += a2 * b0;
        s21 += a2 * b1;
        s22 += a2 * b2;
        s23 += a2 * b3;
        s30 += a3 * b0;
        s31 += a3 * b1;
        s32 += a3 * b2;
        s33 += a3 * b3;
      }
      let o = i * N + j;
      out[o] = s00;
      out[o + 1] = s01;
      out[o + 2] = s02;
      out[o + 3] = s03;
      o += N;
      out[o] = s10;
      out[o + 1] = s11;
      out[o + 2] = s12;
      out[o + 3] = s13;
      o += N;
      out[o] = s20;
      out[o + 1] = s21;
      out[o + 2] = s22;
      out[o + 3] = s23;
      o += N;
      out[o] = s30;
      out[o + 1] = s31;
      out[o + 2] = s32;
      out[o + 3] = s33;
    }
    for (let j = N4; j < N; j++) {
      const c = bias === null ? 0 : bias[j];
      let s0 = c;
      let s1 = c;
      let s2 = c;
      let s3 = c;
      for (let k = 0, bk = j; k < K; k++, bk += N) {
        const bv = b[bk];
        s0 += a[r0 + k] * bv;
        s1 += a[r1 + k] * bv;
        s2 += a[r2 + k] * bv;
        s3 += a[r3 + k] * bv;
      }
      out[i * N + j] = s0;
      out[(i + 1) * N + j] = s1;
      out[(i + 2) * N + j] = s2;
      out[(i + 3) * N + j] = s3;
    }
  }
  for (; i < M; i++) {
    const r = i * K;
    for (let j = 0; j < N4; j += 4) {
      let s0 = bias === null ? 0 : bias[j];
      let s1 = bias === null ? 0 : bias[j + 1];
      let s2 = bias === null ? 0 : bias[j + 2];
      let s3 = bias === null ? 0 : bias[j + 3];
      for (let k = 0, bk = j; k < K; k++, bk += N) {
        const av = a[r + k];
        s0 += av * b[bk];
        s1 += av * b[bk + 1];
        s2 += av * b[bk + 2];
        s3 += av * b[bk + 3];
      }
      const o = i * N + j;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
    }
    for (let j = N4; j < N; j++) {
      let s = bias === null ? 0 : bias[j];
      for (let k = 0, bk = j; k < K; k++, bk += N) s += a[r + k] * b[bk];
      out[i * N + j] = s;
    }
  }
}

/** out[K,N] += a[M,K]^T @ g[M,N] (the weight gradient). */
export function matmulAtBAdd(
  a: Float64Array,
  g: Float64Array,
  out: Float64Array,
  M: number,
  K: number,
  N: number,
): void {
  const N4 = N - (N % 4);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    for (let j = 0; j < N4; j += 4) {
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
      for (let i = 0, ai = k, gi = j; i < M; i++, ai += K, gi += N) {
        const a0 = a[ai];
        const a1 = a[ai + 1];
        const a2 = a[ai + 2];
        const a3 = a[ai + 3];
        const g0 = g[gi];
        const g1 = g[gi + 1];
        const g2 = g[gi + 2];
        const g3 = g[gi + 3];
        s00 += a0 * g0;
        s01 += a0 * g1;
        s02 += a0 * g2;
        s03 += a0 * g3;
        s10 += a1 * g0;
        s11 += a1 * g1;
        s12 += a1 * g2;
        s13 += a1 * g3;
        s20 += a2 * g0;
        s21 += a2 * g1;
        s22 += a2 * g2;
        s23 += a2 * g3;
        s30 += a3 * g0;
        s31 += a3 * g1;
        s32 += a3 * g2;
        s33 += a3 * g3;
      }
      let o = k * N + j;
      out[o] += s00;
      out[o + 1] += s01;
      out[o + 2] += s02;
      out[o + 3] += s03;
      o += N;
      out[o] += s10;
      out[o + 1] += s11;
      out[o + 2] += s12;
      out[o + 3] += s13;
      o += N;
      out[o] += s20;
      out[o + 1] += s21;
      out[o + 2] += s22;
      out[o + 3] += s23;
      o += N;
      out[o] += s30;
      out[o + 1] += s31;
      out[o + 2] += s32;
      out[o + 3] += s33;
    }
    for (let j = N4; j < N; j++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0, ai = k, gi = j; i < M; i++, ai += K, gi += N) {
        const gv = g[gi];
        s0 += a[ai] * gv;
        s1 += a[ai + 1] * gv;
        s2 += a[ai + 2] * gv;
        s3 += a[ai + 3] * gv;
      }
      out[k * N + j] += s0;
      out[(k + 1) * N + j] += s1;
      out[(k + 2) * N + j] += s2;
      out[(k + 3) * N + j] += s3;
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

/** out[M,K] += g[M,N] @ b[K,N]^T (the input gradient). */
export function matmulABtAdd(
  g: Float64Array,
  b: Float64Array,
  out: Float64Array,
  M: number,
  N: number,
  K: number,
): void {
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
    // One row: four dot products at once, so four independent add chains hide the add latency.
    const r = i * N;
    const o = i * K;
    let k = 0;
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

/** Activations of the fused dense layer; "none" is the identity. */
export type DenseActivation = "tanh" | "relu" | "elu" | "none";

/** y = act(y) in place over the first n elements. */
export function activateInPlace(y: Float64Array, n: number, act: DenseActivation): void {
  if (act === "tanh") {
    for (let i = 0; i < n; i++) y[i] = Math.tanh(y[i]);
  } else if (act === "relu") {
    for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = 0;
  } else if (act === "elu") {
    // ELU with alpha = 1 (Clevert et al., 2016); expm1 keeps precision near 0.
    for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = Math.expm1(y[i]);
  }
}

/**
 * gz[i] = g[i] * act'(z[i]), written from the activation's output y (all three derivatives are
 * functions of y: tanh' = 1 - y^2, relu' = [y > 0], elu' = y + 1 for z <= 0).
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

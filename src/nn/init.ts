/**
 * Weight initializers, each drawing from a seeded {@link Rng} passed in.
 */
import type { Rng } from "../core/rng.ts";

/**
 * A [rows, cols] matrix (row-major) with orthonormal columns (rows >= cols) or rows
 * (rows < cols), times `gain` (Saxe et al., 2014, "Exact solutions to the nonlinear dynamics of
 * learning in deep linear neural networks"). Gram-Schmidt on a Gaussian matrix; with R's diagonal
 * positive, Q is distributed uniformly (Haar), as with the sign-corrected QR of PyTorch's
 * `orthogonal_`.
 */
export function orthogonal(rng: Rng, rows: number, cols: number, gain = 1): Float64Array {
  const n = Math.max(rows, cols);
  const m = Math.min(rows, cols);
  // q holds m column vectors of length n, column-major for the Gram-Schmidt loops.
  const q = new Float64Array(n * m);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let c = 0; c < m; c++) {
    const v = c * n;
    // Modified Gram-Schmidt, run twice ("twice is enough", Giraud et al. 2005) for orthogonality
    // to rounding error.
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        const u = p * n;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[u + i] * q[v + i];
        for (let i = 0; i < n; i++) q[v + i] -= dot * q[u + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[v + i] * q[v + i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[v + i] /= norm;
  }
  const w = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows >= cols: W = Q (n = rows); otherwise W = Q^T (n = cols).
      w[r * cols + c] = gain * (rows >= cols ? q[c * n + r] : q[r * n + c]);
    }
  }
  return w;
}

/**
 * A [fanIn, fanOut] matrix with entries uniform in [-a, a], a = gain * sqrt(6 / (fanIn + fanOut))
 * (Glorot & Bengio, 2010).
 */
export function xavierUniform(rng: Rng, fanIn: number, fanOut: number, gain = 1): Float64Array {
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float64Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniformRange(-a, a);
  return w;
}

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  activateInPlace,
  denseInto,
  matmulABtAdd,
  matmulAtBAdd,
  matmulInto,
  SIMD_FROM,
  tanhFast,
} from "../../../src/core/backend/kernels.ts";
import { simd, useSimd } from "../../../src/core/backend/simd.ts";
import { kernelModuleBytes } from "../../../src/core/backend/simd-kernels.ts";
import {
  logSoftmaxGather,
  mean,
  mul,
  neg,
  Rng,
  tensor,
  valueAndGrad,
} from "../../../src/core/index.ts";
import { initMlp, mlp } from "../../../src/nn/index.ts";

declare const WebAssembly: { validate(bytes: Uint8Array): boolean };

/** Runs `f` with the SIMD kernels on, then off; returns both results. */
function bothPaths(f: () => Float64Array): { wasm: Float64Array; js: Float64Array } {
  useSimd(true);
  const wasm = f();
  useSimd(false);
  try {
    return { wasm, js: f() };
  } finally {
    useSimd(true);
  }
}

/** Bit equality, NaN and -0 included (deepEqual would let -0 equal 0). */
function assertSameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Object.is(a[i], b[i]), `${what}: element ${i} is ${a[i]} vs ${b[i]}`);
  }
}

test("WebAssembly SIMD is available on this Node, so the tests below compare two paths", () => {
  assert.notEqual(simd(), null);
});

test("the kernel module stays under 4 KB (browsers refuse larger synchronous compiles)", () => {
  const bytes = kernelModuleBytes();
  assert.ok(WebAssembly.validate(bytes));
  assert.ok(bytes.length <= 4096, `${bytes.length} bytes`);
});

// Shapes around every tile edge: 4-row blocks and single rows, 4- and 16-column tiles and the
// 2-column remainder, and one-row outer products.
const SHAPES: [number, number, number][] = [];
for (const M of [1, 2, 3, 4, 5, 9, 63, 64, 67]) {
  for (const [K, N] of [
    [64, 64],
    [4, 64],
    [64, 2],
    [33, 18],
    [2, 48],
    [50, 6],
    [1, 2048],
  ]) {
    SHAPES.push([M, K, N]);
  }
}

test("SIMD matmul, weight and input gradients give the same bits as the JS kernels", () => {
  const rng = new Rng(5);
  let viaSimd = 0;
  for (const [M, K, N] of SHAPES) {
    const a = rng.fillNormal(new Float64Array(M * K)) as Float64Array;
    const b = rng.fillNormal(new Float64Array(K * N)) as Float64Array;
    const bias = rng.fillNormal(new Float64Array(N)) as Float64Array;
    const g = rng.fillNormal(new Float64Array(M * N)) as Float64Array;
    const start = rng.fillNormal(new Float64Array(Math.max(K * N, M * K))) as Float64Array;
    const shape = `${M}x${K}x${N}`;
    for (const withBias of [true, false]) {
      const r = bothPaths(() => {
        const out = new Float64Array(M * N).fill(Number.NaN);
        matmulInto(a, b, withBias ? bias : null, out, M, K, N);
        return out;
      });
      assertSameBits(r.wasm, r.js, `matmul ${shape} bias=${withBias}`);
    }
    for (const overwrite of [true, false]) {
      const r = bothPaths(() => {
        const out = start.slice(0, K * N);
        matmulAtBAdd(a, g, out, M, K, N, overwrite);
        return out;
      });
      assertSameBits(r.wasm, r.js, `AtB ${shape} overwrite=${overwrite}`);
    }
    // Input gradient of a layer with weights [K, N]: out [M, K] += g [M, N] b^T.
    const r = bothPaths(() => {
      const out = start.slice(0, M * K);
      matmulABtAdd(g, b, out, M, N, K);
      return out;
    });
    assertSameBits(r.wasm, r.js, `ABt ${shape}`);
    if (M * K * N >= SIMD_FROM && N % 2 === 0) viaSimd++;
  }
  assert.ok(viaSimd >= 30, `only ${viaSimd} shapes were large enough to take the SIMD path`);
});

test("SIMD kernels propagate NaN, infinities and signed zeros exactly as the JS kernels", () => {
  const [M, K, N] = [8, 64, 16];
  const rng = new Rng(9);
  const a = rng.fillNormal(new Float64Array(M * K)) as Float64Array;
  const b = rng.fillNormal(new Float64Array(K * N)) as Float64Array;
  a[3] = Number.NaN;
  a[K + 1] = Number.POSITIVE_INFINITY;
  b[5] = Number.NEGATIVE_INFINITY;
  b.fill(-0, N, 2 * N);
  const bias = new Float64Array(N).fill(-0);
  const g = new Float64Array(M * N).fill(-0);
  const r = bothPaths(() => {
    const out = new Float64Array(M * N);
    matmulInto(a, b, bias, out, M, K, N);
    return out;
  });
  assertSameBits(r.wasm, r.js, "matmul");
  assert.ok(r.wasm.some(Number.isNaN) && r.wasm.some((v) => v === Number.POSITIVE_INFINITY));
  const w = bothPaths(() => {
    const out = new Float64Array(K * N);
    matmulAtBAdd(a, g, out, M, K, N, true);
    return out;
  });
  assertSameBits(w.wasm, w.js, "AtB with a -0 gradient");
});

test("the SIMD memory grows for a large product and is still right for small ones after", () => {
  const rng = new Rng(3);
  for (const [M, K, N] of [
    [4, 64, 64],
    [2048, 64, 64],
    [4, 64, 64],
  ]) {
    const a = rng.fillNormal(new Float64Array(M * K)) as Float64Array;
    const b = rng.fillNormal(new Float64Array(K * N)) as Float64Array;
    const r = bothPaths(() => {
      const out = new Float64Array(M * N);
      matmulInto(a, b, null, out, M, K, N);
      return out;
    });
    assertSameBits(r.wasm, r.js, `${M}x${K}x${N}`);
  }
});

test("SIMD tanh gives the same bits as tanhFast, special values and odd lengths included", () => {
  const rng = new Rng(13);
  const xs: number[] = [];
  for (const scale of [1e-300, 1e-8, 0.01, 0.5, 1, 3, 10, 19.9, 25]) {
    for (let k = 0; k < 2000; k++) xs.push(rng.uniformRange(-scale, scale));
  }
  // Grid points and half-way points (where the table index rounds), the clamp edges, specials.
  for (let i = -1281; i <= 1281; i++) xs.push(i / 64, (i + 0.5) / 64);
  xs.push(20, -20, 20.000000000000004, -20.000000000000004, 1e300, -1e300);
  xs.push(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, -5e-324);
  for (const n of [xs.length, xs.length - 1, 257, 1]) {
    const y = Float64Array.from(xs.slice(0, n));
    simd()?.tanh(y, n);
    assertSameBits(y, Float64Array.from(xs.slice(0, n), tanhFast), `n = ${n}`);
  }
  // Through the kernel entry points: activateInPlace and the dense forward with tanh fused.
  const r = bothPaths(() => {
    const y = Float64Array.from(xs);
    activateInPlace(y, y.length, "tanh");
    return y;
  });
  assertSameBits(r.wasm, r.js, "activateInPlace");
  for (const [M, K, N] of [
    [1, 64, 64],
    [256, 64, 64],
    [7, 4, 64],
  ]) {
    const a = rng.fillNormal(new Float64Array(M * K)) as Float64Array;
    const b = rng.fillNormal(new Float64Array(K * N)) as Float64Array;
    const bias = rng.fillNormal(new Float64Array(N)) as Float64Array;
    for (const act of ["tanh", "relu", "elu", "none"] as const) {
      const d = bothPaths(() => {
        const out = new Float64Array(M * N);
        denseInto(a, b, bias, out, M, K, N, act);
        return out;
      });
      assertSameBits(d.wasm, d.js, `denseInto ${M}x${K}x${N} ${act}`);
    }
  }
});

test("a call the module's memory cannot grow to returns false (the caller then runs JS)", () => {
  const s = simd();
  assert.ok(s !== null);
  const y = new Float64Array([0.5, -1]);
  // 2^30 f64s is 8 GB, past WebAssembly's 4 GB: grow throws, nothing is copied or computed.
  assert.equal(s.tanh(y, 2 ** 30), false);
  assert.deepEqual(Array.from(y), [0.5, -1]);
  assert.equal(s.tanh(y, 2), true);
  assert.deepEqual(Array.from(y), [tanhFast(0.5), tanhFast(-1)]);
});

test("an MLP's loss and gradients have the same bits with the SIMD kernels as without", () => {
  const spec = {
    inputSize: 4,
    hiddenSizes: [64, 64],
    outputSize: 2,
    activation: "tanh",
    prefix: "pi",
  } as const;
  for (const B of [1, 3, 64]) {
    const rng = new Rng(30 + B);
    const params = initMlp(spec, rng);
    const x = tensor(rng.fillNormal(new Float64Array(B * 4)) as Float64Array, [B, 4]);
    const actions = Int32Array.from({ length: B }, () => rng.int(2));
    const w = tensor(rng.fillNormal(new Float64Array(B)) as Float64Array, [B]);
    const loss = valueAndGrad((p) => neg(mean(mul(logSoftmaxGather(mlp(p, spec, x), actions), w))));
    useSimd(true);
    const a = loss(params);
    useSimd(false);
    const b = loss(params);
    useSimd(true);
    assert.ok(Object.is(a.value, b.value), `loss at batch ${B}`);
    for (const name of Object.keys(params)) {
      assertSameBits(a.grads[name], b.grads[name], `${name} at batch ${B}`);
    }
  }
});

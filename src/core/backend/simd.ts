/**
 * The WebAssembly SIMD runtime: instantiates the kernels of simd-kernels.ts, copies operands in
 * and out, and keeps resident arrays. Where WebAssembly SIMD is missing, `simd()` is null and the
 * JS kernels in kernels.ts run.
 *
 * Why: f64x2 does two multiply-adds per instruction pair without bounds checks, about 5x the JS
 * kernels at batch 256 (docs/performance.md). Every output element is computed with the same operations in the same order as the JS
 * kernels, and WebAssembly never fuses a multiply-add, so both paths give the same bits and a
 * forward row does not depend on the path or the batch size (test/core/simd.test.ts checks this).
 *
 * Memory: it starts with tanh's table. Resident arrays (residentArray: parameters, reused
 * gradients) live in the first instance's memory, which never grows once created, and products
 * read and write them where they are. Other operands are copied in and results copied out, into
 * scratch after the resident blocks: O(MK + KN + MN) copies against O(MKN) multiply-adds, which
 * matter only at batch 1, where the weights are most of what a product touches.
 */
import { kernelModuleBytes } from "./simd-kernels.ts";
import { TANH_TABLE } from "./tanh.ts";

// The part of the WebAssembly API used here. Its full types live in TypeScript's DOM library,
// which this package does not load (the core must not lean on browser-only globals by accident).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

interface Exports {
  gemm(
    pa: number,
    ars: number,
    ats: number,
    pb: number,
    po: number,
    m: number,
    t: number,
    n: number,
    pbias: number,
    mode: number,
  ): void;
  outer(pa: number, pg: number, po: number, k: number, n: number, mode: number): void;
  transpose(src: number, dst: number, k: number, n: number): void;
  tanh(p: number, n: number): void;
  dots(pg: number, pw: number, po: number, k: number, n: number): void;
  memory: WasmMemory;
}

/** Where the operands start, in f64s: after tanh's table, at a 16-byte boundary. */
const BASE = TANH_TABLE.length + (TANH_TABLE.length % 2);

/**
 * The home instance's memory, in 64 KB pages: grown to this once, when it is created, and never
 * again, so views of it stay valid (growing a WebAssembly memory detaches its buffer, and every
 * view with it). The OS commits its pages only as they are touched. Half of it may hold resident
 * arrays; the rest is scratch for products.
 */
const HOME_PAGES = 256;

/** See Simd.at. */
const RESIDENT_FROM = 128;

interface Block {
  at: number;
  size: number;
}

/**
 * An instance of the kernels and its memory. The first one, the home, has a fixed memory that
 * also holds resident arrays (see {@link residentArray}): a product reads and writes those in
 * place instead of copying them in and out. A product whose other operands do not fit the home's
 * scratch runs in a second instance whose memory grows as needed.
 */
class Simd {
  private heap: Float64Array;
  /** heap.length, kept as a field: reading `memory.buffer` is a call into the runtime. */
  private capacity: number;
  /** The buffer resident arrays are views of (the home's, which never changes), else null. */
  private readonly home: ArrayBuffer | null;
  /** Where the scratch of a product starts: after the resident blocks. */
  private top = BASE;
  /** The end of the scratch laid out so far for the product being set up (see place). */
  private end = BASE;
  /** Free gaps between resident blocks below `top`, sorted by address. */
  private gaps: Block[] = [];
  private spill: Simd | null | undefined;
  // Views of the memory the results are copied out of, by offset and length: a few shapes recur
  // in a training loop, and creating a view each call would allocate in the hot path. Cleared
  // when the memory grows (its old buffer is detached then).
  private views: Float64Array[] = [];
  private viewAt: number[] = [];
  private viewLength: number[] = [];
  private nextView = 0;

  constructor(
    private readonly wasm: Exports,
    fixedPages: number,
  ) {
    if (fixedPages > 0) {
      try {
        wasm.memory.grow(fixedPages - wasm.memory.buffer.byteLength / 65536);
      } catch {
        // Refused: the home keeps its one page, and residents and products go elsewhere.
      }
    }
    this.heap = new Float64Array(wasm.memory.buffer);
    this.capacity = this.heap.length;
    this.home = fixedPages > 0 ? wasm.memory.buffer : null;
    this.heap.set(TANH_TABLE, 0);
  }

  /**
   * The memory as f64s, with room for at least `n` of them; null if it cannot grow that far (the
   * home never grows; WebAssembly memory stops at 4 GB, and engines may refuse less).
   */
  private room(n: number): Float64Array | null {
    if (n > this.capacity) {
      if (this.home !== null) return null;
      try {
        this.wasm.memory.grow(Math.ceil(((n - this.capacity) * 8) / 65536));
      } catch {
        return null;
      }
      this.heap = new Float64Array(this.wasm.memory.buffer);
      this.capacity = this.heap.length;
      this.views.length = 0;
      this.viewAt.length = 0;
      this.viewLength.length = 0;
      this.nextView = 0;
    }
    return this.heap;
  }

  /** The instance for products that do not fit the home: created on first use. */
  private next(): Simd | null {
    if (this.home === null) return null;
    if (this.spill === undefined) this.spill = instantiate(0);
    return this.spill;
  }

  /**
   * x's offset in this memory, in f64s, if x is a resident array; else -1. Arrays shorter than
   * RESIDENT_FROM are copied whether resident or not: reading `buffer` costs about as much as
   * copying a few dozen f64s.
   */
  private at(x: Float64Array): number {
    return x.length >= RESIDENT_FROM && x.buffer === this.home ? x.byteOffset >> 3 : -1;
  }

  /** heap[at..at+n] as a cached view. */
  private view(at: number, n: number): Float64Array {
    for (let i = 0; i < this.views.length; i++) {
      if (this.viewAt[i] === at && this.viewLength[i] === n) return this.views[i];
    }
    const v = this.heap.subarray(at, at + n);
    const slot = this.views.length < 16 ? this.views.length : this.nextView;
    this.nextView = (slot + 1) % 16;
    this.views[slot] = v;
    this.viewAt[slot] = at;
    this.viewLength[slot] = n;
    return v;
  }

  /**
   * A zeroed view of n f64s in the home memory, or null when this is not the home or half of it is
   * taken. First fit among the freed blocks, else at the top.
   */
  alloc(n: number): Float64Array | null {
    if (this.home === null || registry === null) return null;
    const size = Math.max(2, n + (n & 1)); // every block starts at a 16-byte boundary
    let at = -1;
    for (let i = 0; i < this.gaps.length; i++) {
      const gap = this.gaps[i];
      if (gap.size < size) continue;
      at = gap.at;
      gap.at += size;
      gap.size -= size;
      if (gap.size === 0) this.gaps.splice(i, 1);
      break;
    }
    if (at < 0) {
      if (this.top + size > this.capacity >> 1) return null;
      at = this.top;
      this.top += size;
    }
    const v = new Float64Array(this.home, at * 8, n);
    v.fill(0);
    registry.register(v, { at, size });
    return v;
  }

  /** Returns a resident block (its view was garbage-collected) to the free gaps. */
  free(block: Block): void {
    const gaps = this.gaps;
    let i = 0;
    while (i < gaps.length && gaps[i].at < block.at) i++;
    gaps.splice(i, 0, { at: block.at, size: block.size });
    // Merge with the neighbours, then give a gap that reaches the top back to the scratch.
    if (i + 1 < gaps.length && gaps[i].at + gaps[i].size === gaps[i + 1].at) {
      gaps[i].size += gaps[i + 1].size;
      gaps.splice(i + 1, 1);
    }
    if (i > 0 && gaps[i - 1].at + gaps[i - 1].size === gaps[i].at) {
      gaps[i - 1].size += gaps[i].size;
      gaps.splice(i, 1);
      i--;
    }
    const last = gaps[gaps.length - 1];
    if (last.at + last.size === this.top) {
      this.top = last.at;
      gaps.pop();
    }
  }

  /**
   * Where a product reads or writes x (n f64s): in place if x is resident, else the next n f64s of
   * its scratch, which starts at `top` and ends at `end`. So an offset >= top means a copy.
   */
  private place(x: Float64Array, n: number): number {
    const at = this.at(x);
    if (at >= 0) return at;
    const o = this.end;
    this.end += n;
    return o;
  }

  /**
   * out[M,N] = a[M,K] @ b[K,N] (+ bias[N]), then tanh if asked. N must be even. Resident operands
   * are read in place and a resident out is written in place; the rest are copied.
   */
  matmul(
    a: Float64Array,
    b: Float64Array,
    bias: Float64Array | null,
    out: Float64Array,
    M: number,
    K: number,
    N: number,
    tanh: boolean,
  ): boolean {
    const s = this.top;
    this.end = s;
    const oA = this.place(a, M * K);
    const oB = this.place(b, K * N);
    const oBias = bias === null ? 0 : this.place(bias, N);
    const oOut = this.place(out, M * N);
    const heap = this.room(this.end);
    if (heap === null) return this.next()?.matmul(a, b, bias, out, M, K, N, tanh) === true;
    if (oA >= s) copyIn(heap, oA, a, M * K);
    if (oB >= s) copyIn(heap, oB, b, K * N);
    if (bias !== null && oBias >= s) copyIn(heap, oBias, bias, N);
    this.wasm.gemm(oA * 8, K * 8, 8, oB * 8, oOut * 8, M, K, N, oBias * 8, bias ? 1 : 0);
    if (tanh) this.wasm.tanh(oOut * 8, M * N);
    if (oOut >= s) out.set(this.view(oOut, M * N));
    return true;
  }

  /** out[K,N] += a[M,K]^T @ g[M,N] (= with `overwrite`). N must be even. */
  matmulAtB(
    a: Float64Array,
    g: Float64Array,
    out: Float64Array,
    M: number,
    K: number,
    N: number,
    overwrite: boolean,
  ): boolean {
    const s = this.top;
    this.end = s;
    const oA = this.place(a, M * K);
    const oG = this.place(g, M * N);
    const oOut = this.place(out, K * N);
    const heap = this.room(this.end);
    if (heap === null) return this.next()?.matmulAtB(a, g, out, M, K, N, overwrite) === true;
    if (oA >= s) copyIn(heap, oA, a, M * K);
    if (oG >= s) copyIn(heap, oG, g, M * N);
    if (oOut >= s && !overwrite) copyIn(heap, oOut, out, K * N);
    const mode = overwrite ? 0 : 2;
    if (M === 1) this.wasm.outer(oA * 8, oG * 8, oOut * 8, K, N, mode);
    else this.wasm.gemm(oA * 8, 8, K * 8, oG * 8, oOut * 8, K, M, N, 0, mode);
    if (oOut >= s) out.set(this.view(oOut, K * N));
    return true;
  }

  /** out[M,K] += g[M,N] @ b[K,N]^T. K must be even (N, for a single row). */
  matmulABt(
    g: Float64Array,
    b: Float64Array,
    out: Float64Array,
    M: number,
    N: number,
    K: number,
  ): boolean {
    const s = this.top;
    this.end = s;
    const oG = this.place(g, M * N);
    const oB = this.place(b, K * N);
    const oBt = this.end;
    if (M !== 1) this.end += N * K; // b^T, for the gemm
    const oOut = this.place(out, M * K);
    const heap = this.room(this.end);
    if (heap === null) return this.next()?.matmulABt(g, b, out, M, N, K) === true;
    if (oG >= s) copyIn(heap, oG, g, M * N);
    if (oB >= s) copyIn(heap, oB, b, K * N);
    if (oOut >= s) copyIn(heap, oOut, out, M * K);
    if (M === 1) {
      // One row: K dot products along b's rows (see kernels.ts rowDotsAdd for the order).
      this.wasm.dots(oG * 8, oB * 8, oOut * 8, K, N);
    } else {
      // b^T [N, K], so the reduction walks down B's rows as in the other two products.
      this.wasm.transpose(oB * 8, oBt * 8, K, N);
      this.wasm.gemm(oG * 8, N * 8, 8, oBt * 8, oOut * 8, M, N, K, 0, 2);
    }
    if (oOut >= s) out.set(this.view(oOut, M * K));
    return true;
  }

  /** y[0..n] = tanhFast(y[0..n]), bit for bit. */
  tanh(y: Float64Array, n: number): boolean {
    const s = this.top;
    this.end = s;
    const at = this.place(y, n);
    const heap = this.room(this.end);
    if (heap === null) return this.next()?.tanh(y, n) === true;
    if (at >= s) copyIn(heap, at, y, n);
    this.wasm.tanh(at * 8, n);
    if (at >= s) y.set(this.view(at, n));
    return true;
  }
}

/** heap[at..at+n] = src[0..n]; a longer src is copied by a loop, since subarray() allocates. */
function copyIn(heap: Float64Array, at: number, src: Float64Array, n: number): void {
  if (src.length === n) heap.set(src, at);
  else for (let i = 0; i < n; i++) heap[at + i] = src[i];
}

/** An instance of the kernels with its own memory (fixed at `fixedPages` if > 0), or null. */
function instantiate(fixedPages: number): Simd | null {
  if (typeof WebAssembly !== "object") return null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(kernelModuleBytes()), {});
    return new Simd(instance.exports as unknown as Exports, fixedPages);
  } catch {
    return null; // no SIMD support (or synchronous compilation refused): the JS kernels run
  }
}

let instance: Simd | null | undefined;
let enabled = true;

/** Frees the block of a resident array once the array has been garbage-collected. */
const registry =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry<Block>((block) => instance?.free(block))
    : null;

function home(): Simd | null {
  if (instance === undefined) instance = instantiate(HOME_PAGES);
  return instance;
}

/**
 * The SIMD kernels, or null where WebAssembly SIMD is unavailable or switched off. Instantiated
 * on first use.
 */
export function simd(): Simd | null {
  return enabled ? home() : null;
}

/**
 * A zeroed Float64Array of n elements that lives in the SIMD kernels' memory, so they read and
 * write it in place (no copy in or out): for parameters and reused gradient buffers, which every
 * training step passes to the kernels. A plain Float64Array where WebAssembly SIMD is unavailable
 * or that memory's resident half is full. The block is freed when the array is
 * garbage-collected.
 *
 * The array's `buffer` is the kernels' whole memory (16 MB): slice() it before sending it to a
 * worker or building other views on its buffer.
 */
export function residentArray(n: number): Float64Array {
  return home()?.alloc(n) ?? new Float64Array(n);
}

/** A resident copy of `values` (see {@link residentArray}). */
export function residentCopy(values: Float64Array): Float64Array {
  const out = residentArray(values.length);
  out.set(values);
  return out;
}

/**
 * Switches the SIMD kernels on (the default, where supported) or off, so the JS kernels run.
 * Both give the same bits; tests and the core benchmark compare the two. Resident arrays stay
 * where they are.
 */
export function useSimd(on: boolean): void {
  enabled = on;
}

/**
 * Which kernels the dense layers run on: `"wasm-simd"` (the WebAssembly SIMD module) or `"js"`
 * (the plain JS kernels, where WebAssembly SIMD is missing or switched off by useSimd(false)).
 */
export function activeKernels(): "wasm-simd" | "js" {
  return simd() === null ? "js" : "wasm-simd";
}

/**
 * The batched matrix kernels as WebAssembly SIMD: one generated function, `gemm`, computes
 *
 *   out[r, j] = init[r, j] + sum_t A[r, t] * B[t, j]     (t ascending; init = bias[j] or 0)
 *
 * two columns per f64x2 lane pair, in tiles of 4 rows x 4 columns (8 vector accumulators), and
 * either stores the sums or adds them to out. The forward product, the weight gradient (A = x^T
 * through its strides) and the input gradient (B = W^T, transposed while copied in) are all this
 * one function, called from kernels.ts for batches where it pays.
 *
 * Why: scalar JS tops out near 1.5 GMAC/s here (every typed-array read is bounds-checked, one
 * multiply-add per instruction pair); f64x2 does two per pair without checks. Each output element
 * is still summed in the same order as the JS kernels (init, then t ascending, no fused
 * multiply-add: WebAssembly forbids fusing), so both give the same bits and a row's result does
 * not depend on which path or batch size computed it (test/core/simd.test.ts checks bit equality).
 *
 * The operands are copied into the module's memory and the result copied out: O(MK + KN + MN)
 * copies against O(MKN) multiply-adds. The module is assembled below (~2 KB), so no build step or
 * binary file is involved; where WebAssembly SIMD is missing, `simd` is null and the JS kernels run.
 */

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

// --- a minimal WebAssembly encoder: only the instructions gemm uses ---

const I32 = 0x7f;
const V128 = 0x7b;
const VOID = 0x40;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A function body under construction: each method appends one instruction. */
class Code {
  readonly bytes: number[] = [];
  private emit(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  get(local: number): this {
    return this.emit(0x20, ...uleb(local));
  }
  set(local: number): this {
    return this.emit(0x21, ...uleb(local));
  }
  tee(local: number): this {
    return this.emit(0x22, ...uleb(local));
  }
  i32(value: number): this {
    return this.emit(0x41, ...sleb(value));
  }
  add(): this {
    return this.emit(0x6a);
  }
  sub(): this {
    return this.emit(0x6b);
  }
  mul(): this {
    return this.emit(0x6c);
  }
  and(): this {
    return this.emit(0x71);
  }
  shl(): this {
    return this.emit(0x74);
  }
  shr(): this {
    return this.emit(0x76);
  }
  eqz(): this {
    return this.emit(0x45);
  }
  ltS(): this {
    return this.emit(0x48);
  }
  gtS(): this {
    return this.emit(0x4a);
  }
  geS(): this {
    return this.emit(0x4e);
  }
  block(): this {
    return this.emit(0x02, VOID);
  }
  loop(): this {
    return this.emit(0x03, VOID);
  }
  if(): this {
    return this.emit(0x04, VOID);
  }
  else(): this {
    return this.emit(0x05);
  }
  end(): this {
    return this.emit(0x0b);
  }
  br(depth: number): this {
    return this.emit(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.emit(0x0d, ...uleb(depth));
  }
  private simd(op: number, ...rest: number[]): this {
    return this.emit(0xfd, ...uleb(op), ...rest);
  }
  /** v128.load at [address + offset] (alignment hint 8 bytes). */
  load(offset: number): this {
    return this.simd(0x00, 3, ...uleb(offset));
  }
  /** v128.load64_splat: one f64 from memory into both lanes. */
  loadSplat(): this {
    return this.simd(0x0a, 3, 0);
  }
  store(offset: number): this {
    return this.simd(0x0b, 3, ...uleb(offset));
  }
  zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  /** v128.load64_lane 1: one f64 from memory into lane 1 of the vector on the stack. */
  loadLane1(): this {
    return this.simd(0x57, 3, 0, 1);
  }
  f64x2Add(): this {
    return this.simd(0xf0);
  }
  f64x2Mul(): this {
    return this.simd(0xf2);
  }
}

// gemm's parameters (all i32; addresses and strides in bytes), then its locals.
const PA = 0; // A[r, t] is at PA + r * ARS + t * ATS
const ARS = 1;
const ATS = 2;
const PB = 3; // B[t, j] is at PB + (t * N + j) * 8, or PB + (j * T + t) * 8 with MODE bit 2
const PO = 4; // out[r, j] is at PO + (r * N + j) * 8
const M = 5;
const T = 6;
const N = 7;
const PBIAS = 8;
const MODE = 9; // bit 0: start from bias[j]; bit 1: add into out, not store; bit 2: B column-major
const N_PARAMS = 10;
const R = 10; // first row of the tile
const J = 11; // first column of the tile
const K = 12; // reduction steps left
const P = [13, 14, 15, 16]; // A pointers of the tile's rows
const Q = 17; // B pointer: B[t, J]
const NB = 18; // N * 8
const O = 19; // out pointer
const X = 20; // scratch pointer
const TB = 21; // T * 8
const N_I32 = 12;
const ACC = [22, 23, 24, 25, 26, 27, 28, 29]; // tile row i, vector v: ACC[i * vecs + v]
const BV = [30, 31];
const S = 32;
const N_V128 = 11;

/**
 * Loads B[t, J + 2v .. J + 2v + 2] for the current t. Row-major: one v128 load at Q. Column-major
 * (ABt's B = W^T read in place, no transposed copy): two f64 loads, T * 8 bytes apart.
 */
function loadB(c: Code, v: number, columnMajor: boolean): void {
  if (!columnMajor) {
    c.get(Q).load(16 * v);
    return;
  }
  // load64_lane takes [address, vector]: the second address goes on the stack first.
  c.get(Q);
  if (v > 0)
    c.get(TB)
      .i32(2 * v)
      .mul()
      .add();
  c.tee(X).get(TB).add();
  c.get(X).loadSplat().loadLane1();
}

/** The reduction loop of a tile: acc[i][v] += A[R + i, t] * B[t, J + 2v .. +2] for t ascending. */
function reduce(c: Code, rows: number, vecs: number, columnMajor: boolean): void {
  c.get(T).set(K);
  c.block().get(K).eqz().brIf(0).loop();
  if (rows === 1) {
    // One row: the splat of A stays in S and each B vector is used once.
    c.get(P[0]).loadSplat().set(S);
    for (let v = 0; v < vecs; v++) {
      c.get(ACC[v]).get(S);
      loadB(c, v, columnMajor);
      c.f64x2Mul().f64x2Add().set(ACC[v]);
    }
  } else {
    for (let v = 0; v < vecs; v++) {
      loadB(c, v, columnMajor);
      c.set(BV[v]);
    }
    for (let i = 0; i < rows; i++) {
      c.get(P[i]).loadSplat().set(S);
      for (let v = 0; v < vecs; v++) {
        const acc = ACC[i * vecs + v];
        c.get(acc).get(S).get(BV[v]).f64x2Mul().f64x2Add().set(acc);
      }
    }
  }
  for (let i = 0; i < rows; i++) c.get(P[i]).get(ATS).add().set(P[i]);
  c.get(Q);
  if (columnMajor) c.i32(8);
  else c.get(NB);
  c.add().set(Q);
  c.get(K).i32(1).sub().tee(K).brIf(0);
  c.end().end();
}

/** One tile: `rows` rows from R (1 or 4), `vecs` f64x2 columns from J (rows * vecs <= 8). */
function tile(c: Code, rows: number, vecs: number): void {
  // Row pointers into A, and the B pointer at column J.
  c.get(PA).get(R).get(ARS).mul().add().set(P[0]);
  for (let i = 1; i < rows; i++)
    c.get(P[i - 1])
      .get(ARS)
      .add()
      .set(P[i]);
  // Accumulators start at bias[J..] or zero.
  c.get(MODE).i32(1).and().if();
  for (let v = 0; v < vecs; v++) {
    c.get(PBIAS)
      .get(J)
      .i32(3)
      .shl()
      .add()
      .load(16 * v)
      .set(ACC[v]);
    for (let i = 1; i < rows; i++) c.get(ACC[v]).set(ACC[i * vecs + v]);
  }
  c.else();
  for (let i = 0; i < rows * vecs; i++) c.zero().set(ACC[i]);
  c.end();
  c.get(MODE).i32(4).and().if();
  c.get(PB).get(J).get(TB).mul().add().set(Q);
  reduce(c, rows, vecs, true);
  c.else();
  c.get(PB).get(J).i32(3).shl().add().set(Q);
  reduce(c, rows, vecs, false);
  c.end();
  // out[R + i, J..] = acc, or += acc.
  c.get(PO).get(R).get(N).mul().get(J).add().i32(3).shl().add().set(O);
  for (const accumulate of [true, false]) {
    if (accumulate) c.get(MODE).i32(2).and().if();
    else c.else();
    for (let i = 0; i < rows; i++) {
      if (i > 0) c.get(O).get(NB).add().set(O);
      for (let v = 0; v < vecs; v++) {
        c.get(O);
        if (accumulate)
          c.get(O)
            .load(16 * v)
            .get(ACC[i * vecs + v])
            .f64x2Add();
        else c.get(ACC[i * vecs + v]);
        c.store(16 * v);
      }
    }
  }
  c.end();
}

/**
 * All column tiles of the rows from R: 2 * vecs columns at a time, then 2 at a time (N is even).
 * Four rows take 4 columns (8 accumulators + 2 B vectors + the splat fit the 16 vector registers);
 * a single row takes 16.
 */
function columns(c: Code, rows: number): void {
  const vecs = rows === 1 ? 8 : 2;
  c.i32(0).set(J);
  c.block().loop();
  c.get(J)
    .i32(2 * vecs)
    .add()
    .get(N)
    .gtS()
    .brIf(1);
  tile(c, rows, vecs);
  c.get(J)
    .i32(2 * vecs)
    .add()
    .set(J)
    .br(0);
  c.end().end();
  c.block().loop();
  c.get(J).get(N).geS().brIf(1);
  tile(c, rows, 1);
  c.get(J).i32(2).add().set(J).br(0);
  c.end().end();
}

function gemmBody(): number[] {
  const c = new Code();
  c.get(N).i32(3).shl().set(NB);
  c.get(T).i32(3).shl().set(TB);
  c.i32(0).set(R);
  // Blocks of 4 rows, then the rest one row at a time.
  c.block().loop();
  c.get(R).i32(4).add().get(M).gtS().brIf(1);
  columns(c, 4);
  c.get(R).i32(4).add().set(R).br(0);
  c.end().end();
  c.block().loop();
  c.get(R).get(M).geS().brIf(1);
  columns(c, 1);
  c.get(R).i32(1).add().set(R).br(0);
  c.end().end();
  c.end();
  return body(N_I32, N_V128, c);
}

/** A function body: its locals (i32 count, v128 count) and code. */
function body(i32s: number, v128s: number, c: Code): number[] {
  const locals = [2, ...uleb(i32s), I32, ...uleb(v128s), V128];
  return [...uleb(locals.length + c.bytes.length), ...locals, ...c.bytes];
}

// outer's parameters: out[k, j] = a[k] * g[j] (or += with mode bit 1) for k < OK, j < ON (even).
const OA = 0;
const OG = 1;
const OO = 2;
const OK = 3;
const ON = 4;
const OMODE = 5;
const O_PARAMS = 6;
const OX = 6; // g pointer
const OJ = 7; // vectors left in the row
const OS = 8; // a[k] in both lanes (the one v128 local)

/**
 * The weight gradient of a single row, a[K] (x) g[N]: as a gemm it would be K x N one-step tiles,
 * all setup; this walks each output row once, 16 columns per iteration.
 */
function outerBody(): number[] {
  const c = new Code();
  for (const accumulate of [true, false]) {
    if (accumulate) c.get(OMODE).i32(2).and().if();
    else c.else();
    const product = (offset: number) => {
      c.get(OO);
      if (accumulate) c.get(OO).load(offset);
      c.get(OS).get(OX).load(offset).f64x2Mul();
      if (accumulate) c.f64x2Add();
      c.store(offset);
    };
    c.block().get(OK).eqz().brIf(0).loop();
    c.get(OA).loadSplat().set(OS);
    c.get(OG).set(OX);
    c.get(ON).i32(1).shr().set(OJ);
    c.block().loop();
    c.get(OJ).i32(8).ltS().brIf(1);
    for (let v = 0; v < 8; v++) product(16 * v);
    c.get(OX).i32(128).add().set(OX);
    c.get(OO).i32(128).add().set(OO);
    c.get(OJ).i32(8).sub().set(OJ).br(0);
    c.end().end();
    c.block().loop();
    c.get(OJ).eqz().brIf(1);
    product(0);
    c.get(OX).i32(16).add().set(OX);
    c.get(OO).i32(16).add().set(OO);
    c.get(OJ).i32(1).sub().set(OJ).br(0);
    c.end().end();
    c.get(OA).i32(8).add().set(OA);
    c.get(OK).i32(1).sub().tee(OK).brIf(0);
    c.end().end();
  }
  c.end();
  c.end();
  return body(2, 1, c);
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const FUNC = 0x00;
const MEM = 0x02;

/** An export entry: the name, then the kind and index of what it names. */
function exported(name: string, kind: number, index: number): number[] {
  return [...uleb(name.length), ...Array.from(name, (ch) => ch.charCodeAt(0)), kind, index];
}

/** The signature of a function taking `n` i32s and returning nothing. */
function i32Params(n: number): number[] {
  return [0x60, n, ...new Array<number>(n).fill(I32), 0];
}

/** The module's bytes: functions `gemm` and `outer`, and one exported, growable memory. */
export function kernelModuleBytes(): Uint8Array {
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [2, ...i32Params(N_PARAMS), ...i32Params(O_PARAMS)]),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [
      3,
      ...exported("gemm", FUNC, 0),
      ...exported("outer", FUNC, 1),
      ...exported("memory", MEM, 0),
    ]),
    ...section(10, [2, ...gemmBody(), ...outerBody()]),
  ];
  return Uint8Array.from(bytes);
}

type OuterFn = (pa: number, pg: number, po: number, k: number, n: number, mode: number) => void;

type GemmFn = (
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
) => void;

/** The instantiated kernel and its memory; a Float64Array view of the memory, renewed on growth. */
class Simd {
  private heap: Float64Array;
  constructor(
    private readonly gemm: GemmFn,
    private readonly outer: OuterFn,
    private readonly memory: WasmMemory,
  ) {
    this.heap = new Float64Array(memory.buffer);
  }

  // Views of the memory the results are copied out of, by (offset, length): a few shapes recur in
  // a training loop, and creating a view each call would allocate in the hot path.
  private views: Float64Array[] = [];
  private nextView = 0;

  /** heap[at..at+n] as a cached view. */
  private view(at: number, n: number): Float64Array {
    const views = this.views;
    for (let i = 0; i < views.length; i++) {
      const v = views[i];
      if (v.byteOffset === at * 8 && v.length === n && v.buffer === this.memory.buffer) return v;
    }
    const v = this.heap.subarray(at, at + n);
    if (views.length < 16) views.push(v);
    else {
      views[this.nextView] = v;
      this.nextView = (this.nextView + 1) % 16;
    }
    return v;
  }

  /** The memory as f64s, with room for at least `n` of them. */
  private room(n: number): Float64Array {
    const have = this.memory.buffer.byteLength;
    if (n * 8 > have) this.memory.grow(Math.ceil((n * 8 - have) / 65536));
    if (this.heap.buffer !== this.memory.buffer) this.heap = new Float64Array(this.memory.buffer);
    return this.heap;
  }

  /** out[M,N] = a[M,K] @ b[K,N] (+ bias[N]). N must be even. */
  matmul(
    a: Float64Array,
    b: Float64Array,
    bias: Float64Array | null,
    out: Float64Array,
    M: number,
    K: number,
    N: number,
  ): void {
    const oB = M * K;
    const oBias = oB + K * N;
    const oOut = oBias + N;
    const heap = this.room(oOut + M * N);
    copyIn(heap, 0, a, M * K);
    copyIn(heap, oB, b, K * N);
    if (bias !== null) copyIn(heap, oBias, bias, N);
    this.gemm(0, K * 8, 8, oB * 8, oOut * 8, M, K, N, oBias * 8, bias === null ? 0 : 1);
    out.set(this.view(oOut, M * N));
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
  ): void {
    const oG = M * K;
    const oOut = oG + M * N;
    const heap = this.room(oOut + K * N);
    copyIn(heap, 0, a, M * K);
    copyIn(heap, oG, g, M * N);
    if (!overwrite) copyIn(heap, oOut, out, K * N);
    if (M === 1) this.outer(0, oG * 8, oOut * 8, K, N, overwrite ? 0 : 2);
    else this.gemm(0, 8, K * 8, oG * 8, oOut * 8, K, M, N, 0, overwrite ? 0 : 2);
    out.set(this.view(oOut, K * N));
  }

  /** out[M,K] += g[M,N] @ b[K,N]^T. K must be even. */
  matmulABt(
    g: Float64Array,
    b: Float64Array,
    out: Float64Array,
    M: number,
    N: number,
    K: number,
  ): void {
    const oBt = M * N;
    const oOut = oBt + N * K;
    const heap = this.room(oOut + M * K);
    copyIn(heap, 0, g, M * N);
    // From 64 rows, a transposed copy of b (so B loads are single v128 loads) beats reading b in
    // place two scalars at a time (measured: 15% faster at 256 rows, 2.5x slower at 1 row).
    const transposed = M >= 64;
    if (transposed) transposeInto(b, K, N, heap, oBt);
    else copyIn(heap, oBt, b, K * N);
    copyIn(heap, oOut, out, M * K);
    this.gemm(0, N * 8, 8, oBt * 8, oOut * 8, M, N, K, 0, transposed ? 2 : 6);
    out.set(this.view(oOut, M * K));
  }
}

/**
 * dst[at + j * K + k] = b[k * N + j]: four rows of b at a time, so the reads run along rows
 * (a column-at-a-time walk strides 8N bytes and was twice as slow).
 */
function transposeInto(b: Float64Array, K: number, N: number, dst: Float64Array, at: number): void {
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const r0 = k * N;
    const r1 = r0 + N;
    const r2 = r1 + N;
    const r3 = r2 + N;
    for (let j = 0, d = at + k; j < N; j++, d += K) {
      dst[d] = b[r0 + j];
      dst[d + 1] = b[r1 + j];
      dst[d + 2] = b[r2 + j];
      dst[d + 3] = b[r3 + j];
    }
  }
  for (; k < K; k++) for (let j = 0, d = at + k; j < N; j++, d += K) dst[d] = b[k * N + j];
}

/** heap[at..at+n] = src[0..n]; a longer src is copied by a loop, since subarray() allocates. */
function copyIn(heap: Float64Array, at: number, src: Float64Array, n: number): void {
  if (src.length === n) heap.set(src, at);
  else for (let i = 0; i < n; i++) heap[at + i] = src[i];
}

function instantiate(): Simd | null {
  if (typeof WebAssembly !== "object") return null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(kernelModuleBytes()), {});
    const { gemm, outer, memory } = instance.exports as unknown as {
      gemm: GemmFn;
      outer: OuterFn;
      memory: WasmMemory;
    };
    return new Simd(gemm, outer, memory);
  } catch {
    return null; // no SIMD support (or synchronous compilation refused): the JS kernels run
  }
}

let instance: Simd | null | undefined;
let enabled = true;

/**
 * The SIMD kernels, or null where WebAssembly SIMD is unavailable or switched off. Instantiated
 * on first use.
 */
export function simd(): Simd | null {
  if (!enabled) return null;
  if (instance === undefined) instance = instantiate();
  return instance;
}

/**
 * Switches the SIMD kernels on (the default, where supported) or off, so the JS kernels run.
 * Both give the same bits; tests and the core benchmark compare the two.
 */
export function useSimd(on: boolean): void {
  enabled = on;
}

/**
 * The batched kernels as WebAssembly SIMD (f64x2). The module is assembled below (3.7 KB), so no
 * build step or binary file is involved; where WebAssembly SIMD is missing, `simd()` is null and
 * the JS kernels in kernels.ts run. Five functions:
 *
 *   gemm       out[r, j] = init[r, j] + sum_t A[r, t] * B[t, j]   (t ascending; init = bias[j] or 0)
 *              then stores the sums or adds them to out; A is read through two strides, so the
 *              forward product (A = x) and the weight gradient (A = x^T) are both this function.
 *   outer      out = a (x) g, the weight gradient of a single row (a gemm of one-step tiles
 *              would be all setup).
 *   transpose  for the input gradient g W^T: W^T is copied out once, then it is a gemm too.
 *   dots       the input gradient of a single row: dot products along W's rows.
 *   tanh       in place, the same operations as tanhFast (tanh.ts) on the same table.
 *
 * Why: scalar JS tops out near 1.5 GMAC/s here (every typed-array read is bounds-checked, one
 * multiply-add per instruction pair); f64x2 does two per pair without checks, ~5x the JS kernels at
 * batch 256. Every output element is computed with the same operations in the same order as the JS
 * kernels, and WebAssembly never fuses a multiply-add, so both paths give the same bits and a
 * forward row does not depend on the path or the batch size (test/core/simd.test.ts checks this).
 *
 * Memory: it starts with tanh's table. Resident arrays (residentArray: parameters, reused
 * gradients) live in the first instance's memory, which never grows once created, and products
 * read and write them where they are. Other operands are copied in and results copied out, into
 * scratch after the resident blocks: O(MK + KN + MN) copies against O(MKN) multiply-adds, which
 * matter only at batch 1, where the weights are most of what a product touches.
 */
import { T3, T5, T7, TANH_MAX, TANH_MID, TANH_STEP, TANH_TABLE } from "./tanh.ts";

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

// --- a minimal WebAssembly encoder: only the instructions used below ---

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
  /** f64.load / f64.store at [address + offset]. */
  f64Load(offset = 0): this {
    return this.emit(0x2b, 3, ...uleb(offset));
  }
  f64Store(offset = 0): this {
    return this.emit(0x39, 3, ...uleb(offset));
  }
  f64Add(): this {
    return this.emit(0xa0);
  }
  private simd(op: number, ...rest: number[]): this {
    return this.emit(0xfd, ...uleb(op), ...rest);
  }
  /** v128.load at [address + offset] (alignment hint 8 bytes). */
  load(offset = 0): this {
    return this.simd(0x00, 3, ...uleb(offset));
  }
  store(offset = 0): this {
    return this.simd(0x0b, 3, ...uleb(offset));
  }
  /** v128.load64_splat: one f64 from memory into both lanes. */
  loadSplat(): this {
    return this.simd(0x0a, 3, 0);
  }
  /** v128.load64_lane 1: [address, vector] -> the vector with lane 1 loaded from memory. */
  loadLane1(): this {
    return this.simd(0x57, 3, 0, 1);
  }
  /** v128.load64_zero: one f64 into lane 0, lane 1 zero. */
  loadZero(): this {
    return this.simd(0x5d, 3, 0);
  }
  /** v128.store64_lane 0: [address, vector] -> lane 0 to memory. */
  storeLane0(): this {
    return this.simd(0x5b, 3, 0, 0);
  }
  /** v128.const with both f64 lanes = value. */
  f64x2Const(value: number): this {
    const lane = Array.from(new Uint8Array(new Float64Array([value]).buffer));
    return this.simd(0x0c, ...lane, ...lane);
  }
  i32x4Splat(): this {
    return this.simd(0x11);
  }
  i32x4Lane(lane: number): this {
    return this.simd(0x1b, lane);
  }
  i32x4Sub(): this {
    return this.simd(0xb1);
  }
  /** i32x4.trunc_sat_f64x2_s_zero: both f64 lanes truncated to i32 lanes 0 and 1. */
  truncToI32(): this {
    return this.simd(0xfc);
  }
  /** f64x2.convert_low_i32x4_s: i32 lanes 0 and 1 to f64. */
  i32ToF64(): this {
    return this.simd(0xfe);
  }
  f64x2Eq(): this {
    return this.simd(0x47);
  }
  f64x2Lt(): this {
    return this.simd(0x49);
  }
  f64x2Gt(): this {
    return this.simd(0x4a);
  }
  /** v128.bitselect: [a, b, mask] -> a where mask bits are set, else b. */
  select(): this {
    return this.simd(0x52);
  }
  f64x2Add(): this {
    return this.simd(0xf0);
  }
  /** f64x2.extract_lane: the f64 in `lane`. */
  f64x2Lane(lane: number): this {
    return this.simd(0x21, lane);
  }
  f64x2Sub(): this {
    return this.simd(0xf1);
  }
  f64x2Mul(): this {
    return this.simd(0xf2);
  }
  f64x2Div(): this {
    return this.simd(0xf3);
  }
  /** f64x2.pmin / pmax: b < a ? b : a and a < b ? b : a, lane by lane (NaN in a passes through). */
  f64x2Pmin(): this {
    return this.simd(0xf6);
  }
  f64x2Pmax(): this {
    return this.simd(0xf7);
  }
}

/** A function body: its locals (i32 count, v128 count) and code. */
function body(i32s: number, v128s: number, c: Code): number[] {
  const code = [2, ...uleb(i32s), I32, ...uleb(v128s), V128, ...c.bytes, 0x0b];
  return [...uleb(code.length), ...code];
}

// --- gemm ---

// Parameters (all i32; addresses and strides in bytes), then locals.
const PA = 0; // A[r, t] is at PA + r * ARS + t * ATS
const ARS = 1;
const ATS = 2;
const PB = 3; // B[t, j] is at PB + (t * N + j) * 8
const PO = 4; // out[r, j] is at PO + (r * N + j) * 8
const M = 5;
const T = 6;
const N = 7;
const PBIAS = 8;
// MODE bit 0: start from bias[j]; bit 1: add into out instead of storing.
const MODE = 9;
const GEMM_PARAMS = 10;
const R = 10; // first row of the tile
const J = 11; // first column of the tile
const K = 12; // reduction steps left
const P = [13, 14, 15, 16]; // A pointers of the tile's rows
const Q = 17; // B pointer: B[t, J]
const NB = 18; // N * 8
const O = 19; // out pointer
const GEMM_I32 = 10;
const ACC = [20, 21, 22, 23, 24, 25, 26, 27]; // tile row i, vector v: ACC[i * vecs + v]
const BV = [28, 29];
const S = 30;
const ZERO = 31; // never written: locals start at zero, and this is 2 bytes where a const is 18
const GEMM_V128 = 12;

/**
 * The reduction loop of a tile: acc[i][v] += A[R + i, t] * B[t, J + 2v .. +2] for t ascending.
 * Q walks down B's rows.
 */
function reduce(c: Code, rows: number, vecs: number): void {
  c.get(T).set(K);
  c.block().get(K).eqz().brIf(0).loop();
  if (rows === 1) {
    // One row: the splat of A stays in S and each B vector is used once.
    c.get(P[0]).loadSplat().set(S);
    for (let v = 0; v < vecs; v++) {
      c.get(ACC[v])
        .get(S)
        .get(Q)
        .load(16 * v);
      c.f64x2Mul().f64x2Add().set(ACC[v]);
    }
  } else {
    for (let v = 0; v < vecs; v++)
      c.get(Q)
        .load(16 * v)
        .set(BV[v]);
    for (let i = 0; i < rows; i++) {
      c.get(P[i]).loadSplat().set(S);
      for (let v = 0; v < vecs; v++) {
        const acc = ACC[i * vecs + v];
        c.get(acc).get(S).get(BV[v]).f64x2Mul().f64x2Add().set(acc);
      }
    }
  }
  for (let i = 0; i < rows; i++) c.get(P[i]).get(ATS).add().set(P[i]);
  c.get(Q).get(NB).add().set(Q);
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
  for (let i = 0; i < rows * vecs; i++) c.get(ZERO).set(ACC[i]);
  c.end();
  c.get(PB).get(J).i32(3).shl().add().set(Q);
  reduce(c, rows, vecs);
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
  return body(GEMM_I32, GEMM_V128, c);
}

// --- outer: out[k, j] = a[k] * g[j] (or += with mode bit 1) for k < OK, j < ON (even) ---

const OA = 0;
const OG = 1;
const OO = 2;
const OK = 3;
const ON = 4;
const OMODE = 5;
const OUTER_PARAMS = 6;
const OX = 6; // g pointer
const OJ = 7; // vectors left in the row
const OS = 8; // a[k] in both lanes (the one v128 local)

/** Walks each output row once, 16 columns per iteration, then 2 at a time. */
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
  return body(2, 1, c);
}

// --- transpose: dst[j, k] = src[k, j] for src [TK, TN] ---

const TS = 0;
const TD = 1;
const TK = 2;
const TN = 3;
const TRANSPOSE_PARAMS = 4;
const TJ = 4; // columns left
const TI = 5; // rows left in this column
const TX = 6; // src pointer, walking down a column

/** Writes dst in order, reading src down its columns (both 64x64 copies fit in L1 here). */
function transposeBody(): number[] {
  const c = new Code();
  c.get(TN).set(TJ);
  c.block().get(TJ).eqz().brIf(0).get(TK).eqz().brIf(0).loop();
  c.get(TS).set(TX);
  c.get(TK).set(TI);
  c.loop();
  c.get(TD).get(TX).f64Load().f64Store();
  c.get(TD).i32(8).add().set(TD);
  c.get(TX).get(TN).i32(3).shl().add().set(TX);
  c.get(TI).i32(1).sub().tee(TI).brIf(0);
  c.end();
  c.get(TS).i32(8).add().set(TS);
  c.get(TJ).i32(1).sub().tee(TJ).brIf(0);
  c.end().end();
  return body(3, 0, c);
}

// --- dots: out[k] += (sum over pairs j of g[j..j+1] * W[k, j..j+1], lane by lane), lane 0 + lane 1 ---
// The input gradient of a single row, g W^T, as K dot products along W's rows (N even): each row
// is read front to back, where a product against W^T would gather two scalars per vector.

const DG = 0;
const DW = 1; // W[k, 0], the row being reduced
const DO = 2; // out[k]
const DK = 3; // rows left
const DN = 4;
const DOTS_PARAMS = 5;
const DX = 5; // g[j]
const DJ = 6; // pairs left
const DP = [7, 8, 9, 10]; // W[k + i, j]
const DNB = 11; // N * 8
const DACC = [12, 13, 14, 15];
const DGV = 16;
const DZERO = 17; // never written

/** Rows `rows` (4, then 1) at a time: four independent sums hide the latency of the adds. */
function dotRows(c: Code, rows: number): void {
  c.block().loop();
  c.get(DK).i32(rows).ltS().brIf(1);
  c.get(DW).set(DP[0]);
  for (let i = 1; i < rows; i++)
    c.get(DP[i - 1])
      .get(DNB)
      .add()
      .set(DP[i]);
  for (let i = 0; i < rows; i++) c.get(DZERO).set(DACC[i]);
  c.get(DG).set(DX);
  c.get(DN).i32(1).shr().set(DJ);
  c.block().loop();
  c.get(DJ).eqz().brIf(1);
  c.get(DX).load().set(DGV);
  for (let i = 0; i < rows; i++) {
    c.get(DACC[i]).get(DGV).get(DP[i]).load().f64x2Mul().f64x2Add().set(DACC[i]);
    c.get(DP[i]).i32(16).add().set(DP[i]);
  }
  c.get(DX).i32(16).add().set(DX);
  c.get(DJ).i32(1).sub().set(DJ).br(0);
  c.end().end();
  for (let i = 0; i < rows; i++) {
    c.get(DO)
      .get(DO)
      .f64Load(8 * i);
    c.get(DACC[i]).f64x2Lane(0).get(DACC[i]).f64x2Lane(1).f64Add().f64Add();
    c.f64Store(8 * i);
  }
  c.get(DP[rows - 1]).set(DW);
  c.get(DO)
    .i32(8 * rows)
    .add()
    .set(DO);
  c.get(DK).i32(rows).sub().set(DK).br(0);
  c.end().end();
}

function dotsBody(): number[] {
  const c = new Code();
  c.get(DN).i32(3).shl().set(DNB);
  dotRows(c, 4);
  dotRows(c, 1);
  return body(7, 6, c);
}

// --- tanh, in place over n f64s at address p; the table of Math.tanh values is at address 0 ---

const HP = 0;
const HN = 1;
const TANH_PARAMS = 2;
const HX = 2; // x (all locals are v128)
const HC = 3; // x clamped to the table's range
const HIV = 4; // the table indices in i32x4 lanes 0 and 1
const HD = 5; // d = x - grid point
const HD2 = 6;
const HTD = 7; // tanh(d) by its series
const HT = 8; // tanh(grid point) from the table, then the result

/**
 * tanhFast (tanh.ts) on f64x2, operation for operation: the index, d, the series and the addition
 * formula in the same order, so the bits match; the three early returns become selects at the
 * end. x is clamped to +-TANH_MAX first so a lane that takes an early return still reads inside
 * the table (clamping leaves every other lane unchanged, and NaN passes through pmin/pmax).
 */
function tanhVector(c: Code): void {
  // v = x clamped
  c.get(HX).f64x2Const(TANH_MAX).f64x2Pmin().f64x2Const(-TANH_MAX).f64x2Pmax().set(HC);
  // i = (x * TANH_STEP + (TANH_MID + 0.5)) | 0
  c.get(HC)
    .f64x2Const(TANH_STEP)
    .f64x2Mul()
    .f64x2Const(TANH_MID + 0.5)
    .f64x2Add();
  c.truncToI32().set(HIV);
  // d = x - (i - TANH_MID) * (1 / TANH_STEP)
  c.get(HC).get(HIV).i32(TANH_MID).i32x4Splat().i32x4Sub().i32ToF64();
  c.f64x2Const(1 / TANH_STEP)
    .f64x2Mul()
    .f64x2Sub()
    .set(HD);
  c.get(HD).get(HD).f64x2Mul().set(HD2);
  // td = d + d * d2 * (T3 + d2 * (T5 + d2 * T7))
  c.get(HD).get(HD).get(HD2).f64x2Mul();
  c.f64x2Const(T3).get(HD2).f64x2Const(T5).get(HD2).f64x2Const(T7).f64x2Mul().f64x2Add();
  c.f64x2Mul().f64x2Add().f64x2Mul().f64x2Add().set(HTD);
  // t = TABLE[i], lane by lane (load64_lane wants lane 1's address under the vector)
  c.get(HIV).i32x4Lane(1).i32(3).shl();
  c.get(HIV).i32x4Lane(0).i32(3).shl().loadSplat();
  c.loadLane1().set(HT);
  // (t + td) / (1 + t * td)
  c.get(HT).get(HTD).f64x2Add();
  c.f64x2Const(1).get(HT).get(HTD).f64x2Mul().f64x2Add();
  c.f64x2Div();
  // x > TANH_MAX -> 1, x < -TANH_MAX -> -1, x == 0 -> x (keeps -0)
  c.set(HT);
  c.f64x2Const(1).get(HT).get(HX).f64x2Const(TANH_MAX).f64x2Gt().select();
  c.set(HT);
  c.f64x2Const(-1).get(HT).get(HX).f64x2Const(-TANH_MAX).f64x2Lt().select();
  c.set(HT);
  c.get(HX).get(HT).get(HX).f64x2Const(0).f64x2Eq().select();
}

/** Two elements per iteration; an odd last one rides in lane 0 of a vector whose lane 1 is 0. */
function tanhBody(): number[] {
  const c = new Code();
  c.block().get(HN).i32(1).ltS().brIf(0).loop();
  c.get(HN).i32(2).geS().if();
  c.get(HP).load().set(HX);
  c.else();
  c.get(HP).loadZero().set(HX);
  c.end();
  tanhVector(c);
  c.set(HT).get(HN).i32(2).geS().if();
  c.get(HP).get(HT).store();
  c.else();
  c.get(HP).get(HT).storeLane0();
  c.end();
  c.get(HP).i32(16).add().set(HP);
  c.get(HN).i32(2).sub().tee(HN).i32(0).gtS().brIf(0);
  c.end().end();
  return body(0, 7, c);
}

// --- the module ---

function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** The signature of a function taking `n` i32s and returning nothing. */
function i32Params(n: number): number[] {
  return [0x60, n, ...new Array<number>(n).fill(I32), 0];
}

/** An export entry: the name, then the kind (0 function, 2 memory) and index of what it names. */
function exported(name: string, kind: number, index: number): number[] {
  return [...uleb(name.length), ...Array.from(name, (ch) => ch.charCodeAt(0)), kind, index];
}

/** The module's bytes: gemm, outer, transpose and tanh, and one exported, growable memory. */
export function kernelModuleBytes(): Uint8Array {
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [
      5,
      ...i32Params(GEMM_PARAMS),
      ...i32Params(OUTER_PARAMS),
      ...i32Params(TRANSPOSE_PARAMS),
      ...i32Params(TANH_PARAMS),
      ...i32Params(DOTS_PARAMS),
    ]),
    ...section(3, [5, 0, 1, 2, 3, 4]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [
      6,
      ...exported("gemm", 0, 0),
      ...exported("outer", 0, 1),
      ...exported("transpose", 0, 2),
      ...exported("tanh", 0, 3),
      ...exported("dots", 0, 4),
      ...exported("memory", 2, 0),
    ]),
    ...section(10, [
      5,
      ...gemmBody(),
      ...outerBody(),
      ...transposeBody(),
      ...tanhBody(),
      ...dotsBody(),
    ]),
  ];
  return Uint8Array.from(bytes);
}

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

/**
 * The kernels of the WebAssembly SIMD module (f64x2), assembled with wasm-encoder.ts; simd.ts
 * instantiates them. Five functions:
 *
 *   gemm       out[r, j] = init[r, j] + sum_t A[r, t] * B[t, j]   (t ascending; init = bias[j] or 0)
 *              then stores the sums or adds them to out; A is read through two strides, so the
 *              forward product (A = x) and the weight gradient (A = x^T) are both this function.
 *   outer      out = a (x) g, the weight gradient of a single row (a gemm of one-step tiles
 *              would be all setup).
 *   transpose  for the input gradient g W^T: W^T is copied out once, then it is a gemm too.
 *   dots       the input gradient of a single row: dot products along W's rows.
 *   tanh       in place, the same operations as tanhFast (tanh.ts) on the same table.
 */
import { T3, T5, T7, TANH_MAX, TANH_MID, TANH_STEP } from "./tanh.ts";
import { body, Code, exported, i32Params, section } from "./wasm-encoder.ts";

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

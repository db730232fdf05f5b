/**
 * A minimal WebAssembly binary encoder: only the instructions and sections the kernels in
 * simd-kernels.ts use. Each `Code` method appends one instruction's bytes.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
export const VOID = 0x40;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
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
export function sleb(n: number): number[] {
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
export class Code {
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
export function body(i32s: number, v128s: number, c: Code): number[] {
  const code = [2, ...uleb(i32s), I32, ...uleb(v128s), V128, ...c.bytes, 0x0b];
  return [...uleb(code.length), ...code];
}

export function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** The signature of a function taking `n` i32s and returning nothing. */
export function i32Params(n: number): number[] {
  return [0x60, n, ...new Array<number>(n).fill(I32), 0];
}

/** An export entry: the name, then the kind (0 function, 2 memory) and index of what it names. */
export function exported(name: string, kind: number, index: number): number[] {
  return [...uleb(name.length), ...Array.from(name, (ch) => ch.charCodeAt(0)), kind, index];
}

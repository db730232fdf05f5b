/**
 * The one source of randomness in policygrad: a seeded xoshiro128** generator (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", 2018) with serializable state and independent
 * streams. It is the only source of randomness (no unseeded generator anywhere): the same seed gives
 * bit-identical results.
 *
 * xoshiro128** works on four 32-bit words, so every operation maps onto V8's fast int32 paths
 * (`Math.imul`, `>>>`), with no BigInt. `jump()` advances by 2^64 draws, which is how `split()` makes
 * streams that cannot overlap in practice.
 *
 * @example
 * const rng = new Rng(42);
 * const u = rng.uniform();          // [0, 1)
 * const z = rng.normal();           // N(0, 1)
 * const worker = rng.split();       // an independent stream; rng itself moves on too
 * const saved = rng.getState();     // JSON-safe
 * const again = Rng.fromState(saved);
 */

import * as math from "./math.ts";

/** JSON-serializable state of an {@link Rng}. */
export interface RngState {
  readonly kind: "xoshiro128**";
  /** The four 32-bit state words, as unsigned integers. */
  readonly s: readonly [number, number, number, number];
  /** The second normal deviate of the last Box-Muller pair, if not yet used. */
  readonly spare: number | null;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
/** The jump polynomial for 2^64 steps, from the reference implementation's published constants. */
const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b];

/** SplitMix32-style finalizer used only to expand a seed into the four state words. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  /**
   * @param seed any finite number; integers in [0, 2^53) give distinct streams (the low and high
   *   32 bits are both mixed in).
   */
  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new TypeError(`Rng: seed must be a finite number, got ${String(seed)}`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / TWO_POW_32) >>> 0;
    let x = (lo ^ 0x9e3779b9) >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9 + (i === 1 ? hi : 0)) >>> 0;
      words.push(mix32(x ^ (i === 3 ? hi : 0)));
    }
    // The all-zero state is the one fixed point of xoshiro; it is unreachable from mix32 in
    // practice, but guard anyway.
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    this.setWords(words[0], words[1], words[2], words[3]);
  }

  /** Restores a generator saved with {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const words: unknown = state?.s;
    if (
      state === null ||
      typeof state !== "object" ||
      state.kind !== "xoshiro128**" ||
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32) ||
      words.every((w) => w === 0)
    ) {
      throw new TypeError(
        `Rng.fromState: expected { kind: "xoshiro128**", s: four uint32 words (not all zero), spare }, got ${JSON.stringify(state)}`,
      );
    }
    const rng = new Rng(0);
    rng.setWords(state.s[0], state.s[1], state.s[2], state.s[3]);
    rng.hasSpare = state.spare !== null && state.spare !== undefined;
    rng.spare = rng.hasSpare ? Number(state.spare) : 0;
    return rng;
  }

  /**
   * Stores the words as int32 (`| 0`), the form `nextUint32` writes: a field that only ever holds
   * small integers stays unboxed in V8, while uint32 values above 2^31 would make it a double.
   */
  private setWords(a: number, b: number, c: number, d: number): void {
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
  }

  /** The full state, JSON-safe; {@link Rng.fromState} continues the exact same sequence. */
  getState(): RngState {
    return {
      kind: "xoshiro128**",
      s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spare: this.hasSpare ? this.spare : null,
    };
  }

  /** A copy that will produce the same sequence as this generator from now on. */
  clone(): Rng {
    return Rng.fromState(this.getState());
  }

  /** Next raw 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = rotl(n3, 11);
    return r >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /**
   * Writes n uniform doubles into out[offset .. offset + n): the values n calls of uniform() give,
   * with the generator written into one loop. For hot paths whose caller is near V8's inlining
   * budget (core/math.ts's exp and log bodies use it up): a uniform() left out of line there
   * returns a boxed double, one allocation per draw; this call passes and returns no double.
   */
  fillUniform(out: Float64Array, offset: number, n: number): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    let hi = 0;
    for (let i = 0; i < 2 * n; i++) {
      // nextUint32, inline
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      const n2 = s2 ^ s0;
      const n3 = s3 ^ s1;
      s1 ^= n2;
      s0 ^= n3;
      s2 = n2 ^ t;
      s3 = rotl(n3, 11);
      if ((i & 1) === 0) hi = r >>> 5;
      else out[offset + (i >> 1)] = (hi * 67108864 + (r >>> 6)) / TWO_POW_53;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Uniform double in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n), without modulo bias. `n` must be an integer in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Lemire-style rejection on the top of the range keeps every outcome equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal deviate (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * math.log(u));
    math.SIN_COS[0] = 2 * Math.PI * v;
    math.sinCos();
    this.spare = r * math.SIN_COS[1];
    this.hasSpare = true;
    return r * math.SIN_COS[2];
  }

  /** Fills `out` with standard normal deviates and returns it. */
  fillNormal(out: Float64Array | Float32Array): Float64Array | Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /**
   * Samples an index from unnormalized non-negative weights `p[offset .. offset + n)`. Used for
   * categorical actions; the weights need not sum to one.
   */
  categorical(p: ArrayLike<number>, offset = 0, n = p.length - offset): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += p[offset + i];
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new RangeError(
        `Rng.categorical: weights must be non-negative with a finite positive sum, got sum ${total}`,
      );
    }
    let u = this.uniform() * total;
    for (let i = 0; i < n - 1; i++) {
      u -= p[offset + i];
      if (u < 0) return i;
    }
    return n - 1;
  }

  /** Advances the state by 2^64 draws (the generator's published jump polynomial). */
  jump(): void {
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (const word of JUMP) {
      for (let b = 0; b < 32; b++) {
        if ((word >>> b) & 1) {
          t0 ^= this.s0;
          t1 ^= this.s1;
          t2 ^= this.s2;
          t3 ^= this.s3;
        }
        this.nextUint32();
      }
    }
    this.s0 = t0;
    this.s1 = t1;
    this.s2 = t2;
    this.s3 = t3;
    this.hasSpare = false;
  }

  /**
   * Returns a new, independent stream: a copy of this generator's current state, after which this
   * generator jumps ahead by 2^64 draws, so the two never overlap.
   */
  split(): Rng {
    const child = this.clone();
    child.hasSpare = false;
    this.jump();
    return child;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const MASK64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function (Steele, Lea & Flood 2014): a bijection on 64-bit words. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * The seed of an independent stream named by a path of integers under `seed`: SplitMix64's mixer
 * absorbs the seed, then each path element in turn (h <- mix64((h xor p) + golden)), and the top
 * 53 bits are the result, an integer in [0, 2^53) to pass to `new Rng(...)` or `env.reset({ seed })`.
 *
 * Unlike `seed + i`, nearby inputs give unrelated outputs: deriveSeed(s, 1) and deriveSeed(s + 1, 0)
 * share nothing, so consecutive run seeds give uncorrelated runs. Siblings (same prefix, different
 * last element) never collide before the final truncation, because each step is a bijection in p.
 * It runs once per stream, not per draw, so BigInt costs nothing that matters.
 *
 * @example new Rng(deriveSeed(runSeed, 1))  // the run's stream number 1
 */
export function deriveSeed(seed: number, ...path: readonly number[]): number {
  const check = (name: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`deriveSeed: ${name} must be an integer in [0, 2^53), got ${v}`);
    }
  };
  check("seed", seed);
  for (let i = 0; i < path.length; i++) check(`path[${i}]`, path[i]);
  let h = mix64((BigInt(seed) + GOLDEN64) & MASK64);
  for (const p of path) h = mix64(((h ^ BigInt(p)) + GOLDEN64) & MASK64);
  return Number(h >> 11n);
}

/**
 * The column interpreter of the array algebra (num.ts): runs a {@link Dynamics} on number rows,
 * as the rollouts need (the stateful env on one row, the vector env on N).
 *
 * It is a compiler rather than an op-at-a-time interpreter: the definition is traced once per
 * parameter record with `T` = a symbolic value, each op appending one line of JavaScript
 * (`const v7 = v3 * v5;`), and the lines become the body of one loop over the rows
 * (`new Function`). The result is the straight-line code a person would write, with the same
 * operations in the same order, hence the same bits as the hand-written `stepRows` loops it
 * replaced (test/envs/columns.test.ts checks them against those loops on random states).
 *
 * Why: an interpreter that runs each op as a loop over a Float64Array column (one function call
 * and one pass over memory per op) ran CartPole at 0.3x the hand-written loop's speed at N = 64
 * and 0.15x at N = 1; one that calls the definition once per row with `T = number` reached 0.6x
 * at N = 64 and collapsed to 0.1x as soon as the same definition was also run on Tensors (its
 * call sites went polymorphic and every intermediate number was boxed). See docs/performance.md.
 *
 * Parameters are plain numbers at trace time, so they are baked into the code as literals; each
 * parameter record gets its own compiled loop (cached).
 *
 * Where code generation is forbidden (a page whose Content-Security-Policy lacks 'unsafe-eval'),
 * the same definition runs row by row on plain numbers instead ({@link interpretRows}): the same
 * bits, more slowly.
 */

import type { Dynamics, Num, Val } from "./num.ts";
import type { EnvOptions, Physics } from "./physics.ts";
import * as trig from "./trig.ts";

/**
 * A traced value: the JavaScript expression (a local's name or a literal) that holds it. A mask
 * made by a comparison is held as a boolean (`bool`) and becomes 1/0 only where it is used as a
 * number, so `where(x < y, a, b)` compiles to `x < y ? a : b` (see docs/performance.md).
 */
class Sym {
  constructor(
    readonly code: string,
    readonly bool = false,
    /** The state component this value is, when it was read as one (see {@link Tracer.sinCos}). */
    readonly component = -1,
  ) {}
}

/** A number as a JavaScript literal of exactly that double (String() round-trips). */
function literal(x: number): string {
  if (Object.is(x, -0)) return "(-0)";
  return x < 0 || Number.isNaN(x) || !Number.isFinite(x) ? `(${x})` : String(x);
}

/**
 * The tracing `Num`: every op appends `const vK = <expr>;` to {@link lines}. An op on constants
 * alone is evaluated now, with the same JavaScript operation the code would run.
 */
class Tracer implements Num<Sym> {
  readonly lines: string[] = [];
  private count = 0;
  /** The sinCos calls emitted, by argument expression: where, and the sine and cosine read. */
  private readonly trig = new Map<
    string,
    { line: number; results: [Sym | null, Sym | null]; kept: boolean; at?: string }
  >();

  /** The state components whose sine and cosine are kept per row (see {@link sinCos}). */
  readonly trigOf = new Set<number>();

  constructor(
    private readonly float32: boolean,
    private readonly keep: ReadonlySet<number> = new Set(),
  ) {}

  private emit(expr: string, bool = false): Sym {
    const name = `v${this.count++}`;
    this.lines.push(`const ${name} = ${expr};`);
    return new Sym(name, bool);
  }

  /** A mask op: `expr` of the operands (formatted by `operands`), held as a boolean. */
  private mask(
    expr: (...c: string[]) => string,
    fold: (...x: number[]) => number,
    operands: (x: Val<Sym>) => string,
    ...xs: Val<Sym>[]
  ): Sym {
    if (xs.every((x) => typeof x === "number")) return new Sym(literal(fold(...(xs as number[]))));
    return this.emit(expr(...xs.map(operands)), true);
  }

  /** Emits `expr` of the operands, or folds it with `fold` when all are constants. */
  private op(
    expr: (...c: string[]) => string,
    fold: (...x: number[]) => number,
    ...xs: Val<Sym>[]
  ) {
    if (xs.every((x) => typeof x === "number")) return new Sym(literal(fold(...(xs as number[]))));
    return this.emit(expr(...xs.map(code)));
  }

  add(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `${x} + ${y}`,
      (x, y) => x + y,
      a,
      b,
    );
  }
  sub(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `${x} - ${y}`,
      (x, y) => x - y,
      a,
      b,
    );
  }
  mul(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `${x} * ${y}`,
      (x, y) => x * y,
      a,
      b,
    );
  }
  div(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `${x} / ${y}`,
      (x, y) => x / y,
      a,
      b,
    );
  }
  neg(a: Val<Sym>): Sym {
    return this.op(
      (x) => `-${x}`,
      (x) => -x,
      a,
    );
  }
  square(a: Val<Sym>): Sym {
    return this.op(
      (x) => `${x} * ${x}`,
      (x) => x * x,
      a,
    );
  }
  sqrt(a: Val<Sym>): Sym {
    return this.op((x) => `Math.sqrt(${x})`, Math.sqrt, a);
  }
  sin(a: Val<Sym>): Sym {
    return typeof a === "number" ? new Sym(literal(trig.sin(a))) : this.sinCos(a, 1);
  }
  cos(a: Val<Sym>): Sym {
    return typeof a === "number" ? new Sym(literal(trig.cos(a))) : this.sinCos(a, 2);
  }

  /**
   * `SIN_COS[slot]` after one `sinCos` call per traced value: the first request emits the call
   * and, at the next two lines, room for reading each result; a request names the result it
   * reads (CartPole, Pendulum and Acrobot take both of an angle, for the price of one call).
   *
   * The sine and cosine of a state component that both the step and the observation take are
   * also kept per row in `TRIG_ROWS` (argument, sine, cosine): Pendulum observes cos and sin of
   * the next angle, and its next step takes the sine of that same angle. A kept value is used
   * only for the same double (not for zero, whose sign `===` ignores), so the bits are those of
   * the call.
   */
  private sinCos(a: Sym, slot: 1 | 2): Sym {
    const arg = code(a);
    let call = this.trig.get(arg);
    if (call === undefined) {
      if (a.component >= 0) this.trigOf.add(a.component);
      call = { line: this.lines.length, results: [null, null], kept: this.keep.has(a.component) };
      this.trig.set(arg, call);
      if (call.kept) {
        const t = `t${this.count++}`;
        this.lines.push(
          `const ${t} = i * TRIG_WIDTH + ${3 * a.component};`,
          `if (TRIG_ROWS[${t}] !== ${arg} || ${arg} === 0) { SIN_COS[0] = ${arg}; sinCos(); TRIG_ROWS[${t}] = ${arg}; TRIG_ROWS[${t} + 1] = SIN_COS[1]; TRIG_ROWS[${t} + 2] = SIN_COS[2]; }`,
          "",
          "",
        );
        call.at = t;
      } else {
        this.lines.push(`SIN_COS[0] = ${arg};`, "sinCos();", "", "");
      }
    }
    let result = call.results[slot - 1];
    if (result === null) {
      result = new Sym(`v${this.count++}`);
      call.results[slot - 1] = result;
      this.lines[call.line + 1 + slot] = call.kept
        ? `const ${result.code} = TRIG_ROWS[${call.at} + ${slot}];`
        : `const ${result.code} = SIN_COS[${slot}];`;
    }
    return result;
  }
  min(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op((x, y) => `Math.min(${x}, ${y})`, Math.min, a, b);
  }
  max(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op((x, y) => `Math.max(${x}, ${y})`, Math.max, a, b);
  }
  clip(a: Val<Sym>, lo: number, hi: number): Sym {
    return this.op(
      (x) => `Math.min(Math.max(${x}, ${literal(lo)}), ${literal(hi)})`,
      (x) => Math.min(Math.max(x, lo), hi),
      a,
    );
  }
  floor(a: Val<Sym>): Sym {
    return this.op((x) => `Math.floor(${x})`, Math.floor, a);
  }
  fround(a: Val<Sym>): Sym {
    if (!this.float32) return typeof a === "number" ? new Sym(literal(a)) : a;
    return this.op((x) => `Math.fround(${x})`, Math.fround, a);
  }
  lt(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `${x} < ${y}`,
      (x, y) => (x < y ? 1 : 0),
      code,
      a,
      b,
    );
  }
  le(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `${x} <= ${y}`,
      (x, y) => (x <= y ? 1 : 0),
      code,
      a,
      b,
    );
  }
  gt(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `${x} > ${y}`,
      (x, y) => (x > y ? 1 : 0),
      code,
      a,
      b,
    );
  }
  ge(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `${x} >= ${y}`,
      (x, y) => (x >= y ? 1 : 0),
      code,
      a,
      b,
    );
  }
  eq(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `${x} === ${y}`,
      (x, y) => (x === y ? 1 : 0),
      code,
      a,
      b,
    );
  }
  and(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `(${x} && ${y})`,
      (x, y) => (x !== 0 && y !== 0 ? 1 : 0),
      cond,
      a,
      b,
    );
  }
  or(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.mask(
      (x, y) => `(${x} || ${y})`,
      (x, y) => (x !== 0 || y !== 0 ? 1 : 0),
      cond,
      a,
      b,
    );
  }
  where(m: Val<Sym>, a: Val<Sym>, b: Val<Sym>): Sym {
    if (typeof m === "number" && typeof a === "number" && typeof b === "number") {
      return new Sym(literal(m !== 0 ? a : b));
    }
    return this.emit(`(${cond(m)} ? ${code(a)} : ${code(b)})`);
  }
}

/** `x` as a number expression (a boolean mask as 1 or 0). */
function code(x: Val<Sym>): string {
  if (typeof x === "number") return literal(x);
  return x.bool ? `(${x.code} ? 1 : 0)` : x.code;
}

/** `x` as a boolean expression (a number is true when nonzero). */
function cond(x: Val<Sym>): string {
  if (typeof x === "number") return String(x !== 0);
  return x.bool ? x.code : `(${x.code} !== 0)`;
}

/**
 * The compiled row loops of one parameter record, with `Physics`'s signatures: called with another
 * record than the one compiled for, they hand the call to `other` (see {@link columnPhysics}).
 */
export type CompiledRows<P = unknown> = Pick<Physics<P>, "stepRows" | "observe">;

/** The reads of row i's columns from the row-major `name` `[N, dim]`, as traced inputs. */
function reads(name: string, dim: number, lines: string[], state = true): Sym[] {
  lines.push(`const ${name}o = i * ${dim};`);
  return Array.from({ length: dim }, (_, k) => {
    lines.push(`const ${name}${k} = ${name}[${name}o + ${k}];`);
    return new Sym(`${name}${k}`, false, state ? k : -1);
  });
}

/** The writes of `values` into row i of the row-major `name` `[N, values.length]`. */
function writes(name: string, values: readonly Val<Sym>[], lines: string[]): void {
  for (let k = 0; k < values.length; k++) {
    lines.push(`${name}[i * ${values.length} + ${k}] = ${code(values[k])};`);
  }
}

/**
 * Compiles `dyn` with parameters `p` into row loops over row-major arrays (the `Physics`
 * layout). `float32` switches `num.fround` on (Gymnasium's float32 roundings, bit-exact) or off
 * (the float64 variant). Exported for tests and benchmarks; envs use {@link columnPhysics}.
 */
export function compileRows<P>(
  dyn: Dynamics<P>,
  p: P,
  float32 = true,
  other: CompiledRows<P> | null = null,
): CompiledRows<P> {
  // The state components both the step and the observation take sines or cosines of.
  const observed = new Tracer(float32);
  dyn.observe(observed, p, reads("s", dyn.stateDim, []));
  const stepped = new Tracer(float32);
  dyn.step(stepped, p, reads("s", dyn.stateDim, []), reads("a", dyn.actDim, [], false));
  const keep = new Set([...observed.trigOf].filter((k) => stepped.trigOf.has(k)));
  // step: read the whole row first, so ns may alias s (in-place stepping).
  const t = new Tracer(float32, keep);
  const body: string[] = [];
  const s = reads("s", dyn.stateDim, body);
  const a = reads("a", dyn.actDim, body, false);
  const tr = dyn.step(t, p, s, a);
  check(dyn, "step().next", tr.next.length, dyn.stateDim);
  body.push(...t.lines.filter((line) => line !== ""));
  writes("ns", tr.next, body);
  body.push(`rewards[i] = ${code(tr.reward)};`, `terminated[i] = ${code(tr.terminated)};`);
  // The observations of the next states in a second pass over ns, as the hand-written loops did:
  // fused into the step's loop, Pendulum's sin and cos calls (C calls that spill every live
  // register) made the vector step 0.8x as fast.
  const step = loop(
    "stepRows",
    "s, a, ns, obs, rewards, terminated, start, end",
    keep.size > 0,
    body,
    observeBody(dyn, p, float32, "ns", keep),
  );
  const observe = loop(
    "observe",
    "s, obs, start, end",
    keep.size > 0,
    observeBody(dyn, p, float32, "s", keep),
  );
  const src = [
    `"use strict";`,
    `const TRIG_WIDTH = ${3 * dyn.stateDim};`,
    "let TRIG_ROWS = new Float64Array(0);",
    `return { stepRows: ${step}, observe: ${observe} };`,
  ].join("\n");
  // Without `other`, another record is an error rather than a silent use of `p`'s constants.
  const elsewhere = other ?? {
    stepRows: () => wrongParams(dyn),
    observe: () => wrongParams(dyn),
  };
  let make: (...args: unknown[]) => CompiledRows<P>;
  try {
    make = new Function("P", "other", "sinCos", "SIN_COS", src) as typeof make;
  } catch (err) {
    // A page whose Content-Security-Policy forbids eval: run the definition row by row instead
    // (same operations in the same order, so the same bits; slower).
    if (err instanceof EvalError) return interpretRows(dyn, float32);
    throw err;
  }
  return make(p, elsewhere, trig.sinCos, trig.SIN_COS);
}

/**
 * The algebra on plain numbers, each op the same JavaScript expression the compiled code runs
 * (masks are 1 or 0 rather than booleans, which changes no result).
 */
export function numberNum(float32: boolean): Num<number> {
  const mask = (b: boolean) => (b ? 1 : 0);
  return {
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => a * b,
    div: (a, b) => a / b,
    neg: (a) => -a,
    square: (a) => a * a,
    sqrt: (a) => Math.sqrt(a),
    sin: (a) => trig.sin(a),
    cos: (a) => trig.cos(a),
    min: (a, b) => Math.min(a, b),
    max: (a, b) => Math.max(a, b),
    clip: (a, lo, hi) => Math.min(Math.max(a, lo), hi),
    floor: (a) => Math.floor(a),
    fround: float32 ? (a) => Math.fround(a) : (a) => a,
    lt: (a, b) => mask(a < b),
    le: (a, b) => mask(a <= b),
    gt: (a, b) => mask(a > b),
    ge: (a, b) => mask(a >= b),
    eq: (a, b) => mask(a === b),
    and: (a, b) => mask(a !== 0 && b !== 0),
    or: (a, b) => mask(a !== 0 || b !== 0),
    where: (m, a, b) => (m !== 0 ? a : b),
  };
}

/**
 * The row loops without code generation: the definition called once per row on plain numbers
 * ({@link numberNum}), for any parameter record. {@link compileRows} falls back to it where
 * `new Function` is forbidden; it gives the same bits, at a fraction of the speed.
 */
export function interpretRows<P>(dyn: Dynamics<P>, float32 = true): CompiledRows<P> {
  const num = numberNum(float32);
  const sd = dyn.stateDim;
  const ad = dyn.actDim;
  const od = dyn.obsDim;
  const row: number[] = new Array<number>(sd).fill(0);
  const act: number[] = new Array<number>(ad).fill(0);
  const observe = (p: P, s: Float64Array, obs: Float64Array, start: number, end: number) => {
    for (let i = start; i < end; i++) {
      for (let k = 0; k < sd; k++) row[k] = s[i * sd + k];
      const o = dyn.observe(num, p, row);
      check(dyn, "observe()", o.length, od);
      for (let k = 0; k < od; k++) obs[i * od + k] = o[k];
    }
  };
  return {
    stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
      for (let i = start; i < end; i++) {
        for (let k = 0; k < sd; k++) row[k] = s[i * sd + k];
        for (let k = 0; k < ad; k++) act[k] = a[i * ad + k];
        const tr = dyn.step(num, p, row, act);
        check(dyn, "step().next", tr.next.length, sd);
        for (let k = 0; k < sd; k++) ns[i * sd + k] = tr.next[k];
        rewards[i] = tr.reward;
        terminated[i] = tr.terminated !== 0 ? 1 : 0;
      }
      observe(p, ns, obs, start, end);
    },
    observe,
  };
}

function wrongParams(dyn: Dynamics): never {
  throw new Error(
    `${dyn.name}: these row loops were compiled for another parameter record (compileRows bakes its parameters in; use columnPhysics for any record)`,
  );
}

/** The body of the loop writing row i's observation of the states in `input` into `obs`. */
function observeBody<P>(
  dyn: Dynamics<P>,
  p: P,
  float32: boolean,
  input: string,
  keep: ReadonlySet<number>,
): string[] {
  const t = new Tracer(float32, keep);
  const body: string[] = [];
  const obs = dyn.observe(t, p, reads(input, dyn.stateDim, body));
  check(dyn, "observe()", obs.length, dyn.obsDim);
  body.push(...t.lines.filter((line) => line !== ""));
  writes("obs", obs, body);
  return body;
}

/**
 * A function running one loop over the rows per body; with another parameter record than `P` it
 * calls `other`'s.
 */
function loop(name: string, args: string, keepsTrig: boolean, ...bodies: string[][]): string {
  return [
    `function (p, ${args}) {`,
    `  if (p !== P) return other.${name}(p, ${args});`,
    // room for the kept sines and cosines of rows up to `end` (new rows are unknown: NaN); only
    // where something is kept, so the other envs' loops are as before (V8 inlines by size)
    ...(keepsTrig
      ? [
          "  if (TRIG_ROWS.length < end * TRIG_WIDTH) TRIG_ROWS = new Float64Array(2 * end * TRIG_WIDTH).fill(Number.NaN);",
        ]
      : []),
    ...bodies.flatMap((body) => [
      "  for (let i = start; i < end; i++) {",
      `    ${body.join("\n    ")}`,
      "  }",
    ]),
    "}",
  ].join("\n");
}

function check(dyn: Dynamics, what: string, got: number, want: number): void {
  if (got !== want) {
    throw new Error(`${dyn.name}: ${what} returned ${got} values, expected ${want}`);
  }
}

/**
 * The {@link Physics} of a definition: its row loops compiled by {@link compileRows} with the
 * float32 roundings on (the rollout path). The loops of the default parameters are compiled now
 * and called directly (a single-env step is short enough that one more call level showed in the
 * paired benchmark); other parameter records get theirs compiled on first use.
 */
export function columnPhysics<P>(dyn: Dynamics<P>): Physics<P> {
  const cache = new WeakMap<object, CompiledRows<P>>();
  const rows = (p: P): CompiledRows<P> => {
    let c = cache.get(p as object);
    if (c === undefined) {
      c = compileRows(dyn, p, true);
      cache.set(p as object, c);
    }
    return c;
  };
  const others: CompiledRows<P> = {
    stepRows: (p, s, a, ns, obs, rewards, terminated, start, end) =>
      rows(p).stepRows(p, s, a, ns, obs, rewards, terminated, start, end),
    observe: (p, s, obs, start, end) => rows(p).observe(p, s, obs, start, end),
  };
  // Equal records share one object, so every env made with the same options takes the loops
  // compiled for it without a lookup (Pendulum's params() makes a new record per call).
  const interned = new Map<string, P>();
  const params = (options?: EnvOptions): P => {
    const p = dyn.params(options);
    const key = JSON.stringify(p, (_k, v) =>
      typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : v,
    );
    const known = interned.get(key);
    if (known !== undefined) return known;
    interned.set(key, p);
    return p;
  };
  const base = compileRows(dyn, params(), true, others);
  return {
    name: dyn.name,
    stateDim: dyn.stateDim,
    obsDim: dyn.obsDim,
    actDim: dyn.actDim,
    dynamics: dyn,
    params,
    observationSpace: (p) => dyn.observationSpace(p),
    actionSpace: (p) => dyn.actionSpace(p),
    initial: (p, rng, s, i) => dyn.initial(p, rng, s, i),
    stepRows: base.stepRows,
    observe: base.observe,
  };
}

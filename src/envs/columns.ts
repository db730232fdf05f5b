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
 */

import type { Dynamics, Num, Val } from "./num.ts";
import type { Physics } from "./physics.ts";
import * as trig from "./trig.ts";

/** A traced value: the JavaScript expression (a local's name or a literal) that holds it. */
class Sym {
  constructor(readonly code: string) {}
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

  constructor(private readonly float32: boolean) {}

  private emit(expr: string): Sym {
    const name = `v${this.count++}`;
    this.lines.push(`const ${name} = ${expr};`);
    return new Sym(name);
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
    return this.op((x) => `sin(${x})`, trig.sin, a);
  }
  cos(a: Val<Sym>): Sym {
    return this.op((x) => `cos(${x})`, trig.cos, a);
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
    return this.op(
      (x, y) => `(${x} < ${y} ? 1 : 0)`,
      (x, y) => (x < y ? 1 : 0),
      a,
      b,
    );
  }
  le(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `(${x} <= ${y} ? 1 : 0)`,
      (x, y) => (x <= y ? 1 : 0),
      a,
      b,
    );
  }
  gt(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `(${x} > ${y} ? 1 : 0)`,
      (x, y) => (x > y ? 1 : 0),
      a,
      b,
    );
  }
  ge(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `(${x} >= ${y} ? 1 : 0)`,
      (x, y) => (x >= y ? 1 : 0),
      a,
      b,
    );
  }
  eq(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `(${x} === ${y} ? 1 : 0)`,
      (x, y) => (x === y ? 1 : 0),
      a,
      b,
    );
  }
  and(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `(${x} !== 0 && ${y} !== 0 ? 1 : 0)`,
      (x, y) => (x !== 0 && y !== 0 ? 1 : 0),
      a,
      b,
    );
  }
  or(a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (x, y) => `(${x} !== 0 || ${y} !== 0 ? 1 : 0)`,
      (x, y) => (x !== 0 || y !== 0 ? 1 : 0),
      a,
      b,
    );
  }
  where(m: Val<Sym>, a: Val<Sym>, b: Val<Sym>): Sym {
    return this.op(
      (c, x, y) => `(${c} !== 0 ? ${x} : ${y})`,
      (c, x, y) => (c !== 0 ? x : y),
      m,
      a,
      b,
    );
  }
}

function code(x: Val<Sym>): string {
  return typeof x === "number" ? literal(x) : x.code;
}

/** The compiled row loops of one parameter record (the signatures of `Physics`, minus `p`). */
export interface CompiledRows {
  step(
    s: Float64Array,
    a: Float64Array,
    ns: Float64Array,
    obs: Float64Array,
    rewards: Float64Array,
    terminated: Uint8Array,
    start: number,
    end: number,
  ): void;
  observe(s: Float64Array, obs: Float64Array, start: number, end: number): void;
}

/** The reads of row i's columns from the row-major `name` `[N, dim]`, as traced inputs. */
function reads(name: string, dim: number, lines: string[]): Sym[] {
  lines.push(`const ${name}o = i * ${dim};`);
  return Array.from({ length: dim }, (_, k) => {
    lines.push(`const ${name}${k} = ${name}[${name}o + ${k}];`);
    return new Sym(`${name}${k}`);
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
export function compileRows<P>(dyn: Dynamics<P>, p: P, float32 = true): CompiledRows {
  const head = `"use strict";`;
  // step: read the whole row first, so ns may alias s (in-place stepping).
  const t = new Tracer(float32);
  const body: string[] = [];
  const s = reads("s", dyn.stateDim, body);
  const a = reads("a", dyn.actDim, body);
  const tr = dyn.step(t, p, s, a);
  const obs = dyn.observe(t, p, tr.next);
  check(dyn, "step().next", tr.next.length, dyn.stateDim);
  check(dyn, "observe()", obs.length, dyn.obsDim);
  body.push(...t.lines);
  writes("ns", tr.next, body);
  body.push(`rewards[i] = ${code(tr.reward)};`, `terminated[i] = ${code(tr.terminated)};`);
  writes("obs", obs, body);
  const step = loop("ns, obs, rewards, terminated", body);
  // observe alone.
  const to = new Tracer(float32);
  const obody: string[] = [];
  const os = reads("s", dyn.stateDim, obody);
  const o = dyn.observe(to, p, os);
  obody.push(...to.lines);
  writes("obs", o, obody);
  const observe = loop("obs", obody, false);
  const src = `${head}\nreturn { step: ${step}, observe: ${observe} };`;
  return new Function("sin", "cos", src)(trig.sin, trig.cos) as CompiledRows;
}

function loop(outs: string, body: string[], hasAction = true): string {
  const args = hasAction ? `s, a, ${outs}, start, end` : `s, ${outs}, start, end`;
  return `function (${args}) {\n  for (let i = start; i < end; i++) {\n    ${body.join("\n    ")}\n  }\n}`;
}

function check(dyn: Dynamics, what: string, got: number, want: number): void {
  if (got !== want) {
    throw new Error(`${dyn.name}: ${what} returned ${got} values, expected ${want}`);
  }
}

/**
 * The {@link Physics} of a definition: its row loops compiled by {@link compileRows} with the
 * float32 roundings on (the rollout path), once per parameter record.
 */
export function columnPhysics<P>(dyn: Dynamics<P>): Physics<P> {
  const cache = new WeakMap<object, CompiledRows>();
  // The last record used, checked first: a run steps one record, and a WeakMap lookup per call
  // would cost a single-env step several percent.
  let lastP: P | null = null;
  let last: CompiledRows | null = null;
  const rows = (p: P): CompiledRows => {
    if (p === lastP && last !== null) return last;
    let c = cache.get(p as object);
    if (c === undefined) {
      c = compileRows(dyn, p, true);
      cache.set(p as object, c);
    }
    lastP = p;
    last = c;
    return c;
  };
  return {
    name: dyn.name,
    stateDim: dyn.stateDim,
    obsDim: dyn.obsDim,
    actDim: dyn.actDim,
    dynamics: dyn,
    params: (options) => dyn.params(options),
    observationSpace: (p) => dyn.observationSpace(p),
    actionSpace: (p) => dyn.actionSpace(p),
    initial: (p, rng, s, i) => dyn.initial(p, rng, s, i),
    stepRows(p, s, a, ns, obs, rewards, terminated, start, end) {
      rows(p).step(s, a, ns, obs, rewards, terminated, start, end);
    },
    observe(p, s, obs, start, end) {
      rows(p).observe(s, obs, start, end);
    },
  };
}

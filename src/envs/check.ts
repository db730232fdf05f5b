/**
 * `checkEnv(env)`: checks that an environment keeps the {@link Env} contract, so a user's own
 * environment can be verified before training on it (Gymnasium's `check_env`, stricter about
 * determinism). Every built-in passes it.
 *
 * Checks: the id and limits; both spaces are well formed; `reset`/`step` return the right shapes
 * and types; observations are finite and inside the observation space; rewards are finite;
 * `terminated`/`truncated` are booleans; the same seed gives the same trajectory (a few hundred
 * random-action steps, resets included); stepping after an episode ended throws.
 * Warnings (not failures): invalid actions that the env does not reject, and checks that could
 * not run (no episode ended within the steps).
 *
 * Stateful wrappers whose state survives `reset` (NormalizeObservation, NormalizeReward) fail the
 * determinism check while their statistics are live, correctly: check them with `frozen: true`.
 *
 * @example
 * const report = checkEnv(new MyEnv(), { seed: 0, steps: 300 }); // throws EnvCheckError if a check fails
 * console.log(report.warnings);
 */
import { Rng } from "../core/rng.ts";
import { contains, describe, describeValue, flatSize, type Space, sample } from "./spaces.ts";
import type { Action, Env } from "./types.ts";

export interface CheckEnvOptions {
  /** Seed of the env and of the random actions; default 0. */
  readonly seed?: number;
  /** Random-action steps per determinism run (resets included); default 300. */
  readonly steps?: number;
  /** Return the report instead of throwing when a check fails; default false. */
  readonly noThrow?: boolean;
}

export interface EnvCheck {
  /** Short name, e.g. "observations in observation space". */
  readonly name: string;
  readonly passed: boolean;
  /** For a failure: what was found and what was expected (first few violations). */
  readonly message: string;
}

export interface EnvCheckReport {
  readonly id: string;
  /** True when every check passed. */
  readonly passed: boolean;
  readonly checks: readonly EnvCheck[];
  readonly warnings: readonly string[];
  /** Steps taken in the first determinism run, and episodes finished in it. */
  readonly steps: number;
  readonly episodes: number;
}

/** Thrown by {@link checkEnv}; the message lists each failed check, `report` has all of them. */
export class EnvCheckError extends Error {
  readonly report: EnvCheckReport;
  constructor(report: EnvCheckReport) {
    const failed = report.checks.filter((c) => !c.passed);
    super(
      `checkEnv(${report.id}): ${failed.length} check(s) failed:\n` +
        failed.map((c) => `  - ${c.name}: ${c.message}`).join("\n"),
    );
    this.name = "EnvCheckError";
    this.report = report;
  }
}

/** Collects violations per check; keeps the first few messages of each. */
class Findings {
  private readonly order: string[] = [];
  private readonly problems = new Map<string, string[]>();
  private readonly counts = new Map<string, number>();

  declare(name: string): void {
    if (!this.problems.has(name)) {
      this.order.push(name);
      this.problems.set(name, []);
      this.counts.set(name, 0);
    }
  }

  fail(name: string, message: string): void {
    this.declare(name);
    const list = this.problems.get(name)!;
    if (list.length < 3) list.push(message);
    this.counts.set(name, this.counts.get(name)! + 1);
  }

  failed(name: string): boolean {
    return (this.counts.get(name) ?? 0) > 0;
  }

  checks(): EnvCheck[] {
    return this.order.map((name) => {
      const list = this.problems.get(name)!;
      const n = this.counts.get(name)!;
      const more = n > list.length ? `; and ${n - list.length} more` : "";
      return { name, passed: n === 0, message: n === 0 ? "ok" : list.join("; ") + more };
    });
  }
}

const C = {
  id: "id",
  limits: "maxEpisodeSteps and rewardThreshold",
  obsSpace: "observation space is valid",
  actSpace: "action space is valid",
  reset: "reset() returns { observation, info }",
  step: "step() returns { observation, reward, terminated, truncated, info }",
  obsFinite: "observations are finite",
  obsInSpace: "observations in observation space",
  rewardFinite: "rewards are finite",
  flags: "terminated and truncated are booleans",
  determinism: "same seed gives the same trajectory",
  stepAfterDone: "step() after the episode ended throws",
} as const;

/**
 * Checks `env` against the Env contract and returns a report; throws an {@link EnvCheckError}
 * listing each failed check with what was expected (unless `noThrow`). Leaves the env mid-episode
 * (reset it before use). Does not call `close()`.
 */
export function checkEnv(env: Env, options: CheckEnvOptions = {}): EnvCheckReport {
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 300;
  if (!Number.isInteger(seed))
    throw new TypeError(`checkEnv: seed must be an integer, got ${describeValue(seed)}`);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`checkEnv: steps must be a positive integer, got ${describeValue(steps)}`);
  }
  if (
    env === null ||
    typeof env !== "object" ||
    typeof env.reset !== "function" ||
    typeof env.step !== "function"
  ) {
    throw new TypeError(
      `checkEnv: expected an Env object with reset(), step(), close(), observationSpace and actionSpace, got ${describeValue(env)}`,
    );
  }
  const id = typeof env.id === "string" && env.id.length > 0 ? env.id : "<no id>";
  const f = new Findings();
  const warnings: string[] = [];
  for (const name of Object.values(C)) f.declare(name);

  if (typeof env.id !== "string" || env.id.length === 0) {
    f.fail(C.id, `id is ${describeValue(env.id)}, expected a non-empty string`);
  }
  if (typeof env.close !== "function")
    f.fail(C.id, "close is not a function, expected close(): void");
  const limit = env.maxEpisodeSteps;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    f.fail(
      C.limits,
      `maxEpisodeSteps is ${describeValue(limit)}, expected undefined or a positive integer`,
    );
  }
  if (env.rewardThreshold !== undefined && !Number.isFinite(env.rewardThreshold)) {
    f.fail(
      C.limits,
      `rewardThreshold is ${describeValue(env.rewardThreshold)}, expected undefined or a finite number`,
    );
  }
  for (const p of spaceProblems(env.observationSpace)) f.fail(C.obsSpace, p);
  for (const p of spaceProblems(env.actionSpace)) f.fail(C.actSpace, p);
  if (f.failed(C.obsSpace) || f.failed(C.actSpace)) return finish(id, f, warnings, 0, 0, options);

  const obsSpace = env.observationSpace;
  const obsSize = flatSize(obsSpace);

  /** A copy of an observation (it may be a reused buffer), validated when `validate`. */
  const observe = (where: string, obs: unknown, check: string, validate: boolean): unknown => {
    if (!(obs instanceof Float64Array) || obs.length !== obsSize) {
      if (validate) {
        f.fail(
          check,
          `${where}: observation is ${describeValue(obs)}, expected a Float64Array of length ${obsSize}`,
        );
      }
      return ArrayBuffer.isView(obs) || Array.isArray(obs)
        ? Array.from(obs as ArrayLike<number>)
        : obs;
    }
    if (validate) {
      const bad = obs.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        f.fail(
          C.obsFinite,
          `${where}: observation element ${bad} is ${obs[bad]}, expected a finite number (observation ${describeValue(obs)})`,
        );
      }
      const member = obsSpace.kind === "discrete" ? obs[0] : obs;
      if (!contains(obsSpace, member)) {
        f.fail(
          C.obsInSpace,
          `${where}: observation ${describeValue(obs)} is outside ${describe(obsSpace)}${outsideDetail(obsSpace, obs)}`,
        );
      }
    }
    return obs.slice();
  };

  type Entry = { readonly label: string; readonly value: unknown };

  /** reset(); returns the trace entries, or null if it threw or returned garbage. */
  const doReset = (
    where: string,
    resetSeed: number | undefined,
    validate: boolean,
  ): Entry[] | null => {
    let r: unknown;
    try {
      r = env.reset(resetSeed === undefined ? {} : { seed: resetSeed });
    } catch (e) {
      f.fail(C.reset, `${where}: reset() threw ${errorText(e)}`);
      return null;
    }
    if (r === null || typeof r !== "object" || !("observation" in r) || !("info" in r)) {
      f.fail(
        C.reset,
        `${where}: reset() returned ${describeValue(r)}, expected { observation, info }`,
      );
      return null;
    }
    const res = r as { observation: unknown; info: unknown };
    if (validate && (res.info === null || typeof res.info !== "object")) {
      f.fail(C.reset, `${where}: info is ${describeValue(res.info)}, expected an object`);
    }
    return [
      { label: `${where} observation`, value: observe(where, res.observation, C.reset, validate) },
    ];
  };

  /** step(action); returns the result's trace entries and whether the episode ended. */
  const doStep = (
    where: string,
    action: Action,
    validate: boolean,
  ): { entries: Entry[]; ended: boolean } | null => {
    let r: unknown;
    try {
      r = env.step(action);
    } catch (e) {
      f.fail(C.step, `${where}: step(${describeValue(action)}) threw ${errorText(e)}`);
      return null;
    }
    if (r === null || typeof r !== "object") {
      f.fail(
        C.step,
        `${where}: step() returned ${describeValue(r)}, expected { observation, reward, terminated, truncated, info }`,
      );
      return null;
    }
    const s = r as {
      observation: unknown;
      reward: unknown;
      terminated: unknown;
      truncated: unknown;
      info: unknown;
    };
    if (validate) {
      if (typeof s.reward !== "number") {
        f.fail(C.step, `${where}: reward is ${describeValue(s.reward)}, expected a number`);
      } else if (!Number.isFinite(s.reward)) {
        f.fail(C.rewardFinite, `${where}: reward is ${s.reward}, expected a finite number`);
      }
      if (typeof s.terminated !== "boolean") {
        f.fail(
          C.flags,
          `${where}: terminated is ${describeValue(s.terminated)}, expected true or false`,
        );
      }
      if (typeof s.truncated !== "boolean") {
        f.fail(
          C.flags,
          `${where}: truncated is ${describeValue(s.truncated)}, expected true or false`,
        );
      }
      if (s.info === null || typeof s.info !== "object") {
        f.fail(C.step, `${where}: info is ${describeValue(s.info)}, expected an object`);
      }
    }
    const obs = observe(where, s.observation, C.step, validate);
    return {
      entries: [
        { label: `${where} observation`, value: obs },
        { label: `${where} reward`, value: s.reward },
        { label: `${where} terminated`, value: s.terminated },
        { label: `${where} truncated`, value: s.truncated },
      ],
      ended: s.terminated === true || s.truncated === true,
    };
  };

  /** One seeded random-action run of `steps` steps; null if reset/step threw. */
  const run = (validate: boolean) => {
    const actionRng = new Rng(seed);
    const trace: Entry[] = [];
    let episodes = 0;
    const first = doReset(`reset(seed ${seed})`, seed, validate);
    if (first === null) return null;
    trace.push(...first);
    for (let t = 0; t < steps; t++) {
      const action = sample(env.actionSpace, actionRng) as Action;
      const s = doStep(`step ${t}`, action, validate);
      if (s === null) return null;
      trace.push(...s.entries);
      if (s.ended) {
        episodes++;
        const again = doReset(`reset() after step ${t}`, undefined, validate);
        if (again === null) return null;
        trace.push(...again);
      }
    }
    return { trace, episodes };
  };

  const a = run(true);
  if (a === null) return finish(id, f, warnings, 0, 0, options);
  const b = run(false);
  if (b !== null) {
    const diff = firstDifference(a.trace, b.trace);
    if (diff !== null) {
      f.fail(
        C.determinism,
        `two runs with reset({ seed: ${seed} }) and the same actions differ at ${diff}; expected identical trajectories (draw all randomness from a generator created in reset({ seed }))`,
      );
    }
  }

  // Step after the end: run one episode to its end, then step once more. The budget covers one
  // full episode of a time-limited env even when that is longer than `steps` (Acrobot: 500).
  if (doReset("end check reset", seed, false) !== null) {
    const actionRng = new Rng(seed + 1);
    const budget = Math.max(steps, limit !== undefined && Number.isInteger(limit) ? limit : 0);
    let ended = false;
    for (let t = 0; t < budget && !ended; t++) {
      const s = doStep(`end check step ${t}`, sample(env.actionSpace, actionRng) as Action, false);
      if (s === null) break;
      ended = s.ended;
    }
    if (ended) {
      const action = sample(env.actionSpace, actionRng) as Action;
      let threw = false;
      try {
        env.step(action);
      } catch {
        threw = true;
      }
      if (!threw) {
        f.fail(
          C.stepAfterDone,
          `step(${describeValue(action)}) after terminated/truncated returned normally; expected it to throw until reset() is called`,
        );
      }
    } else {
      warnings.push(
        `no episode ended within ${budget} steps, so "${C.stepAfterDone}" was not checked (pass a larger steps option or set maxEpisodeSteps)`,
      );
    }
  }

  for (const action of invalidActions(env.actionSpace)) {
    if (doReset("invalid action reset", seed, false) === null) break;
    let threw = false;
    try {
      env.step(action as Action);
    } catch {
      threw = true;
    }
    if (!threw) {
      warnings.push(
        `step(${describeValue(action)}) did not throw, but the action is not in ${describe(env.actionSpace)}; an invalid action should be a clear error`,
      );
    }
  }
  return finish(id, f, warnings, steps, a.episodes, options);
}

function finish(
  id: string,
  f: Findings,
  warnings: string[],
  steps: number,
  episodes: number,
  options: CheckEnvOptions,
): EnvCheckReport {
  const checks = f.checks();
  const report: EnvCheckReport = {
    id,
    passed: checks.every((c) => c.passed),
    checks,
    warnings,
    steps,
    episodes,
  };
  if (!report.passed && !options.noThrow) throw new EnvCheckError(report);
  return report;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : describeValue(e);
}

/** Problems with a space object (empty when well formed). */
export function spaceProblems(space: unknown): string[] {
  if (space === null || typeof space !== "object") {
    return [
      `got ${describeValue(space)}, expected a space (discrete, box, multiDiscrete or multiBinary from spaces.ts)`,
    ];
  }
  const s = space as { kind?: unknown } & Record<string, unknown>;
  const posInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 1;
  switch (s.kind) {
    case "discrete": {
      const out: string[] = [];
      if (!posInt(s.n))
        out.push(`Discrete n is ${describeValue(s.n)}, expected a positive integer`);
      if (!Number.isInteger(s.start))
        out.push(`Discrete start is ${describeValue(s.start)}, expected an integer`);
      return out;
    }
    case "box": {
      const shape = s.shape;
      if (!Array.isArray(shape) || shape.length === 0 || !shape.every(posInt)) {
        return [
          `Box shape is ${describeValue(shape)}, expected a non-empty array of positive integers`,
        ];
      }
      const size = shape.reduce((x: number, y: number) => x * y, 1);
      const out: string[] = [];
      if (s.size !== size)
        out.push(`Box size is ${describeValue(s.size)}, expected ${size} = prod(shape)`);
      for (const key of ["low", "high"] as const) {
        const b = s[key];
        if (!(b instanceof Float64Array) || b.length !== size) {
          out.push(`Box ${key} is ${describeValue(b)}, expected a Float64Array of ${size} bounds`);
        }
      }
      if (out.length > 0) return out;
      const low = s.low as Float64Array;
      const high = s.high as Float64Array;
      for (let i = 0; i < size; i++) {
        if (Number.isNaN(low[i]) || Number.isNaN(high[i]) || low[i] > high[i]) {
          out.push(
            `Box bounds at element ${i} are low ${low[i]}, high ${high[i]}, expected low <= high (no NaN)`,
          );
          break;
        }
      }
      return out;
    }
    case "multi-discrete": {
      const nvec = s.nvec;
      if (!Array.isArray(nvec) || nvec.length === 0 || !nvec.every(posInt)) {
        return [
          `MultiDiscrete nvec is ${describeValue(nvec)}, expected a non-empty array of positive integers`,
        ];
      }
      return [];
    }
    case "multi-binary":
      return posInt(s.n)
        ? []
        : [`MultiBinary n is ${describeValue(s.n)}, expected a positive integer`];
    default:
      return [
        `kind is ${describeValue(s.kind)}, expected "discrete", "box", "multi-discrete" or "multi-binary"`,
      ];
  }
}

/** Which element of `obs` leaves the space, for the message. */
function outsideDetail(space: Space, obs: Float64Array): string {
  if (space.kind !== "box") return "";
  for (let i = 0; i < obs.length; i++) {
    if (!(obs[i] >= space.low[i] && obs[i] <= space.high[i])) {
      return ` (element ${i} is ${obs[i]}, expected within [${space.low[i]}, ${space.high[i]}])`;
    }
  }
  return "";
}

/** Actions outside `space` that an env should reject. */
function invalidActions(space: Space): unknown[] {
  switch (space.kind) {
    case "discrete":
      return [space.start + space.n, space.start - 1, space.start + 0.5];
    case "box":
      return [new Float64Array(space.size).fill(Number.NaN), new Float64Array(space.size + 1)];
    case "multi-discrete":
      return [Float64Array.from(space.nvec), new Float64Array(space.nvec.length + 1)];
    case "multi-binary":
      return [new Float64Array(space.n).fill(2), new Float64Array(space.n + 1)];
  }
}

/** Where two traces first differ (bitwise; NaN equals NaN), or null. */
function firstDifference(
  a: readonly { label: string; value: unknown }[],
  b: readonly { label: string; value: unknown }[],
): string | null {
  const same = (x: unknown, y: unknown): boolean => {
    if (Array.isArray(x) || ArrayBuffer.isView(x)) {
      const u = x as ArrayLike<unknown>;
      const v = y as ArrayLike<unknown>;
      if (!(Array.isArray(y) || ArrayBuffer.isView(y)) || u.length !== v.length) return false;
      for (let k = 0; k < u.length; k++) if (!Object.is(u[k], v[k])) return false;
      return true;
    }
    return Object.is(x, y);
  };
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i].label !== b[i].label) {
      return `${a[i].label} vs ${b[i].label} (episodes ended at different steps)`;
    }
    if (!same(a[i].value, b[i].value)) {
      return `${a[i].label}: ${describeValue(a[i].value)} vs ${describeValue(b[i].value)}`;
    }
  }
  return null;
}

/**
 * The environment registry: `make(id, options)` as `gymnasium.make`, `register` for users' own
 * environments, and `envSpecs()` listing every id with its spaces and limits (the CLI's
 * `policygrad envs` prints it).
 *
 * @example
 * const env = make("CartPole-v1");
 * let { observation } = env.reset({ seed: 0 });
 * const { reward, terminated, truncated } = env.step(1);
 */
import { acrobotSpec } from "./classic/acrobot.ts";
import { cartPoleSpec } from "./classic/cartpole.ts";
import { cartPoleSwingUpSpec } from "./classic/cartpole_swingup.ts";
import { mountainCarContinuousSpec, mountainCarSpec } from "./classic/mountain_car.ts";
import { pendulumSpec } from "./classic/pendulum.ts";
import { type EnvOptions, PhysicsEnv, type PhysicsSpec } from "./physics.ts";
import type { Potential } from "./shaping.ts";
import { describeValue, type Space } from "./spaces.ts";
import { TOY_ENVS } from "./toy/entries.ts";
import { linearQuadraticSpec } from "./toy/linear_quadratic.ts";
import type { Env, EnvFactory } from "./types.ts";
import { TimeLimit } from "./wrappers.ts";

/** Optional facts about a registered env, used by `make` and listed by `envSpecs`. */
export interface EnvMeta {
  /** Time limit `make` applies (truncated = true at this step), unless the env sets its own. */
  readonly maxEpisodeSteps?: number;
  /** Return at which the task counts as solved. */
  readonly rewardThreshold?: number;
  /** One line for listings. */
  readonly description?: string;
  /**
   * A potential Phi over observations for potential-based reward shaping (src/envs/shaping.ts),
   * for tasks whose own reward carries little signal; trainers use it when asked to shape.
   */
  readonly potential?: Potential;
}

/** What `envSpecs()` reports per id. */
export interface EnvSpecInfo {
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps?: number;
  readonly rewardThreshold?: number;
  readonly description?: string;
  /** True for built-ins with pure physics (vectorized without per-env objects). */
  readonly builtin: boolean;
  /**
   * `true` when `makeDifferentiable(id)` gives gradients through the dynamics, else why not (a
   * discrete action, or no definition in the array algebra).
   */
  readonly differentiable: true | { readonly reason: string };
}

/** A built-in with pure physics, or an env registered with a factory. */
type Entry =
  | { readonly kind: "physics"; readonly meta: EnvMeta; readonly physics: PhysicsSpec }
  | { readonly kind: "factory"; readonly meta: EnvMeta; readonly factory: EnvFactory };

const registry = new Map<string, Entry>();

/** Options `make` itself consumes; the rest go to the env. */
export interface MakeOptions {
  /** Overrides the registered time limit (Gymnasium's `max_episode_steps`). */
  readonly maxEpisodeSteps?: number;
  readonly [option: string]: unknown;
}

/**
 * Registers `id`. The factory receives the env-specific options given to `make`. If `meta`
 * has `maxEpisodeSteps` and the created env does not declare a `maxEpisodeSteps` of its own,
 * `make` wraps it in a time limit. Re-registering an id is an error.
 */
export function register(id: string, factory: EnvFactory, meta: EnvMeta = {}): void {
  if (typeof id !== "string" || id.length === 0) {
    throw new TypeError(`register: id must be a non-empty string, got ${describeValue(id)}`);
  }
  if (typeof factory !== "function") {
    throw new TypeError(
      `register(${id}): factory must be a function, got ${describeValue(factory)}`,
    );
  }
  if (registry.has(id)) throw new Error(`register: env id "${id}" is already registered`);
  checkLimit(`register(${id})`, meta.maxEpisodeSteps);
  registry.set(id, { kind: "factory", factory, meta });
}

/** Registers a built-in from its physics spec (`make` builds it from the spec). */
function registerPhysics(spec: PhysicsSpec, description: string): void {
  const meta: EnvMeta = {
    maxEpisodeSteps: spec.maxEpisodeSteps,
    description,
    ...(spec.potential !== undefined ? { potential: spec.potential } : {}),
    ...(spec.rewardThreshold !== undefined ? { rewardThreshold: spec.rewardThreshold } : {}),
  };
  registry.set(spec.id, { kind: "physics", meta, physics: spec });
}

function checkLimit(where: string, n: unknown): void {
  if (n !== undefined && !(typeof n === "number" && Number.isInteger(n) && n >= 1)) {
    throw new RangeError(
      `${where}: maxEpisodeSteps must be a positive integer, got ${describeValue(n)}`,
    );
  }
}

function entry(id: string): Entry {
  const e = registry.get(id);
  if (e === undefined) {
    throw new Error(
      `make: unknown env id ${JSON.stringify(id)}; known ids: ${listEnvs().join(", ")}`,
    );
  }
  return e;
}

/**
 * Creates the env registered as `id`, with the time limit applied (`options.maxEpisodeSteps`
 * overrides the registered one). Other options go to the env (documented per env, e.g.
 * `{ g: 9.81 }` for Pendulum-v1, `{ goalVelocity: 0.01 }` for MountainCar).
 */
export function make(id: string, options: MakeOptions = {}): Env {
  const e = entry(id);
  const { maxEpisodeSteps, ...envOptions } = options;
  checkLimit(`make(${id})`, maxEpisodeSteps);
  if (e.kind === "physics") {
    const spec = e.physics;
    const limit = maxEpisodeSteps ?? spec.maxEpisodeSteps;
    return new PhysicsEnv(spec.id, spec.physics, spec.physics.params(envOptions), {
      maxEpisodeSteps: limit,
      ...(spec.rewardThreshold !== undefined ? { rewardThreshold: spec.rewardThreshold } : {}),
    });
  }
  const env = e.factory(envOptions);
  const limit =
    maxEpisodeSteps ?? (env.maxEpisodeSteps === undefined ? e.meta.maxEpisodeSteps : undefined);
  if (limit === undefined) return env;
  const threshold = e.meta.rewardThreshold;
  return new TimeLimit(env, limit, threshold === undefined ? {} : { rewardThreshold: threshold });
}

/**
 * The physics spec and resolved params of a built-in id, or null for a user-registered env.
 * The vector env uses it to step the pure physics directly.
 */
export function physicsOf(
  id: string,
  options: MakeOptions = {},
): { spec: PhysicsSpec; params: unknown; maxEpisodeSteps: number } | null {
  const e = entry(id);
  if (e.kind !== "physics") return null;
  const { maxEpisodeSteps, ...envOptions } = options;
  checkLimit(`makeVec(${id})`, maxEpisodeSteps);
  return {
    spec: e.physics,
    params: e.physics.physics.params(envOptions),
    maxEpisodeSteps: maxEpisodeSteps ?? e.physics.maxEpisodeSteps,
  };
}

/** The shaping potential registered for `id` (see {@link EnvMeta.potential}), or null. */
export function potentialOf(id: string): Potential | null {
  return entry(id).meta.potential ?? null;
}

/** Registered ids, built-ins first, in registration order. */
export function listEnvs(): string[] {
  return [...registry.keys()];
}

/** Every registered id with its spaces and limits (each env is created once to read its spaces). */
export function envSpecs(): EnvSpecInfo[] {
  return listEnvs().map((id) => {
    const e = registry.get(id)!;
    const env = make(id);
    const info: EnvSpecInfo = {
      id,
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      builtin: e.kind === "physics",
      differentiable:
        e.kind === "physics" && e.physics.physics.dynamics !== undefined
          ? e.physics.physics.dynamics.differentiable
          : { reason: "no definition in the array algebra (a Dynamics, src/envs/num.ts)" },
      ...(env.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: env.maxEpisodeSteps } : {}),
      ...(env.rewardThreshold !== undefined ? { rewardThreshold: env.rewardThreshold } : {}),
      ...(e.meta.description !== undefined ? { description: e.meta.description } : {}),
    };
    env.close();
    return info;
  });
}

registerPhysics(cartPoleSpec, "Balance a pole on a cart; Discrete(2) push left/right.");
registerPhysics(pendulumSpec, "Swing a pendulum up and hold it; continuous torque.");
registerPhysics(mountainCarSpec, "Drive an underpowered car up a hill; Discrete(3) push.");
registerPhysics(mountainCarContinuousSpec, "Mountain car with a continuous engine force.");
registerPhysics(acrobotSpec, "Swing a two-link chain's tip above the bar; Discrete(3) torque.");
registerPhysics(
  cartPoleSwingUpSpec,
  "Swing a cart-pole up from hanging and balance it; continuous force, smooth reward.",
);
registerPhysics(
  linearQuadraticSpec,
  "Double integrator with quadratic cost; exact optimal gain and policy gradient exported.",
);
// The toy envs (TOYS helper's entries; no import cycle: entries.ts only imports registry types).
for (const e of TOY_ENVS) {
  if (e.physics !== undefined) registerPhysics(e.physics, e.meta.description ?? "");
  else register(e.id, e.factory, e.meta);
}

/** Options type accepted by `make`'s env-specific part. */
export type { EnvOptions };

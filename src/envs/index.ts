/**
 * Environments: spaces, the Env contract, the registry (`make`, `register`), the five classic
 * control tasks as pure physics, and vector envs.
 */

export * from "./check.ts";
export * from "./classic/acrobot.ts";
export * from "./classic/cartpole.ts";
export * from "./classic/cartpole_swingup.ts";
export * from "./classic/mountain_car.ts";
export * from "./classic/pendulum.ts";
export { type CompiledRows, columnPhysics, compileRows } from "./columns.ts";
export * from "./diff.ts";
export * from "./num.ts";
export * from "./physics.ts";
export * from "./registry.ts";
export * from "./shaping.ts";
export * from "./spaces.ts";
export * from "./toy/bandit.ts";
export { TOY_ENVS, type ToyEnvEntry } from "./toy/entries.ts";
export * from "./toy/finite-mdp.ts";
export * from "./toy/linear_quadratic.ts";
export * from "./toy/point.ts";
export * from "./toy/register.ts";
export * from "./types.ts";
export * from "./vector.ts";
export * from "./wrappers.ts";

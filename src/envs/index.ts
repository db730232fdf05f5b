/**
 * Environments: spaces, the Env contract, the registry (`make`, `register`), the five classic
 * control tasks as pure physics, and vector envs.
 */
export * from "./classic/acrobot.ts";
export * from "./classic/cartpole.ts";
export * from "./classic/mountain_car.ts";
export * from "./classic/pendulum.ts";
export * from "./physics.ts";
export * from "./registry.ts";
export * from "./spaces.ts";
export * from "./types.ts";
export * from "./vector.ts";

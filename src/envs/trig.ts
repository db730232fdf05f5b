/**
 * The sine and cosine environments call: the deterministic ones of core/math.ts (fdlibm's, the
 * same bits in every engine; issue #17), kept as the envs' own entry point so env code needs
 * nothing from core beyond it. The compiled row loops (columns.ts) call `sinCos` through
 * `SIN_COS`, one call for an angle's sine and cosine, so no double crosses a call.
 *
 * Bit-identity with fdlibm matters here: CartPole is chaotic, and one ulp grows to 1e-5 within a
 * few hundred steps of the recorded Gymnasium trajectories.
 */
export { cos, SIN_COS, sin, sinCos } from "../core/math.ts";

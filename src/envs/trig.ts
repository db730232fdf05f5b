/**
 * The sine and cosine environments call: the deterministic ones of core/math.ts (fdlibm's, the
 * same bits in every engine; issue #17), kept as the envs' own entry point so env code needs
 * nothing from core beyond it.
 *
 * For |x| < pi/4 (|x| < 0.3 for cos) each is a short polynomial that V8 inlines into the caller:
 * CartPole evaluates both on the pole angle every step, and a C call (what `Math.sin` is in
 * optimized code) spills the live float registers; inlined, its batched transition runs ~1.2x
 * faster. Bit-identity with fdlibm matters here: CartPole is chaotic, and one ulp grows to 1e-5
 * within a few hundred steps of the recorded Gymnasium trajectories.
 */
export { cos, sin } from "../core/math.ts";

/** Small custom envs for the algos tests (not a test file itself). */
import { box, discrete } from "../../src/envs/spaces.ts";
import type { Env, StepResult } from "../../src/envs/types.ts";

/**
 * A counter: observation [t] (steps taken in this episode), reward `reward(t)` (default t + 1),
 * ends after `length` steps, terminated if `terminal` else truncated (a time limit). Actions
 * (Discrete(2)) are ignored. `poison` replaces the observation or reward at step `at` by NaN.
 */
export class CountEnv implements Env {
  readonly id = "Count";
  readonly observationSpace = box(0, 1000, [1]);
  readonly actionSpace = discrete(2);
  readonly maxEpisodeSteps?: number;
  private t = 0;
  private readonly obs = new Float64Array(1);

  constructor(
    private readonly length: number,
    private readonly terminal = true,
    private readonly reward: (t: number) => number = (t) => t + 1,
    private readonly poison?: { what: "obs" | "reward"; at: number },
  ) {
    if (!terminal) this.maxEpisodeSteps = length;
  }

  reset() {
    this.t = 0;
    this.obs[0] = 0;
    return { observation: this.obs, info: {} };
  }

  step(): StepResult {
    const r = this.reward(this.t);
    this.t++;
    const bad = this.poison !== undefined && this.poison.at === this.t;
    this.obs[0] = bad && this.poison!.what === "obs" ? Number.NaN : this.t;
    const done = this.t >= this.length;
    return {
      observation: this.obs,
      reward: bad && this.poison!.what === "reward" ? Number.NaN : r,
      terminated: done && this.terminal,
      truncated: done && !this.terminal,
      info: {},
    };
  }

  close() {}
}

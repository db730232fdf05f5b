/**
 * Action masks end to end: an env that reports its valid actions in `info.actionMask` (and throws
 * on an invalid one) is trained with REINFORCE through the vector env and the rollout, whose batch
 * keeps the masks, and evaluated; a missing or empty mask is a clear error.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../src/algos/evaluate.ts";
import { createPolicy } from "../../src/algos/policy.ts";
import { ppoAlgorithm } from "../../src/algos/ppo.ts";
import { reinforce } from "../../src/algos/reinforce.ts";
import { createRollout } from "../../src/algos/rollout.ts";
import { createTrainer } from "../../src/algos/trainer.ts";
import { Rng } from "../../src/core/rng.ts";
import { box, discrete } from "../../src/envs/spaces.ts";
import type { Env, ResetOptions, StepInfo, StepResult } from "../../src/envs/types.ts";
import { makeVec } from "../../src/envs/vector.ts";

/**
 * Two rooms, 3 doors: in room 0 door 2 is locked, in room 1 door 0 is. Door 0 pays 1 in room 0,
 * door 2 pays 1 in room 1, door 1 pays 0.2; every door leads to a random room. 10 steps.
 */
class Rooms implements Env {
  readonly id = "Rooms";
  readonly observationSpace = box(0, 1, [2]);
  readonly actionSpace = discrete(3);
  readonly maxEpisodeSteps = 10;
  private rng = new Rng(0);
  private room = 0;
  private t = 0;
  constructor(private readonly breakMaskAt = -1) {}
  private info(): StepInfo {
    if (this.t === this.breakMaskAt) return {};
    return { actionMask: this.room === 0 ? [true, true, false] : [0, 1, 1] };
  }
  private obs(): Float64Array {
    return Float64Array.of(this.room === 0 ? 1 : 0, this.room === 1 ? 1 : 0);
  }
  reset(o: ResetOptions = {}) {
    if (o.seed !== undefined) this.rng = new Rng(o.seed);
    this.room = this.rng.uniform() < 0.5 ? 0 : 1;
    this.t = 0;
    return { observation: this.obs(), info: this.info() };
  }
  step(a: number): StepResult {
    if ((this.room === 0 && a === 2) || (this.room === 1 && a === 0)) {
      throw new Error(`Rooms: door ${a} is locked in room ${this.room}`);
    }
    const reward = a === 1 ? 0.2 : 1;
    this.room = this.rng.uniform() < 0.5 ? 0 : 1;
    this.t++;
    return {
      observation: this.obs(),
      reward,
      terminated: false,
      truncated: this.t >= 10,
      info: this.info(),
    };
  }
  close() {}
}

test("REINFORCE never takes a masked action, keeps the masks in the batch, and learns the valid best door", () => {
  const spec = {
    obsDim: 2,
    actionSpace: discrete(3),
    hiddenSizes: [],
    activation: "tanh" as const,
    logStd: "state-independent" as const,
    squash: "clip" as const,
    initLogStd: 0,
  };
  const vec = makeVec(() => new Rooms(), 2);
  const rollout = createRollout(vec, createPolicy(spec, new Rng(1)), {
    kind: "episodes",
    episodes: 4,
  });
  const batch = rollout.collect(new Rng(2), 0);
  assert.ok(batch.masks !== null);
  for (let t = 0; t < batch.size; t++) {
    const room = batch.obs[2 * t] === 1 ? 0 : 1;
    assert.deepEqual(
      Array.from(batch.masks.subarray(3 * t, 3 * t + 3)),
      room === 0 ? [1, 1, 0] : [0, 1, 1],
    );
    assert.equal(batch.masks[3 * t + batch.actions[t]], 1, `step ${t} took a masked action`);
  }
  const { policy } = reinforce(() => new Rooms(), {
    seed: 0,
    totalSteps: 6000,
    hiddenSizes: [],
    numEnvs: 2,
    batchEpisodes: 8,
    lr: 0.1,
  });
  // The best valid door every step: return 10 (the unmasked argmax would often be a locked door).
  const score = evaluate(policy, new Rooms(), { episodes: 5, seed: 3, deterministic: true });
  assert.equal(score.returnMean, 10);
});

test("an env that gives masks must give them at every step; a policy with a Box head takes none", () => {
  const vec = makeVec(() => new Rooms(3), 1);
  vec.reset(0);
  assert.ok(vec.actionMasks !== null);
  const act = new Float64Array([1]);
  vec.step(act);
  vec.step(act);
  assert.throws(
    () => vec.step(act),
    /gave info.actionMask no mask at step; it gave masks at reset/,
  );
  const gauss = createPolicy(
    {
      obsDim: 1,
      actionSpace: box(-1, 1, [1]),
      hiddenSizes: [],
      activation: "tanh",
      logStd: "state-independent",
      squash: "clip",
      initLogStd: 0,
    },
    new Rng(0),
  );
  assert.equal(gauss.maskSize, 0);
  assert.throws(
    () =>
      gauss.act(
        new Float64Array(1),
        1,
        new Rng(0),
        new Float64Array(1),
        false,
        undefined,
        new Uint8Array(1),
      ),
    /Box action space takes no masks/,
  );
});

test("PPO on the same env: no masked action is taken, and it learns the valid best door", () => {
  const t = createTrainer(ppoAlgorithm, () => new Rooms(), {
    seed: 0,
    totalSteps: 4096,
    numEnvs: 2,
    rolloutSteps: 64,
    hiddenSizes: [],
    valueHiddenSizes: [8],
    lr: 0.05,
    evalEvery: 0,
  });
  while (t.finished === null) t.step();
  const score = evaluate(t.policy, new Rooms(), { episodes: 5, seed: 3, deterministic: true });
  t.close();
  assert.equal(score.returnMean, 10);
});

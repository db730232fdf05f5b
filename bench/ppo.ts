/**
 * `npm run bench:ppo`: PPO with its per-env presets on CartPole-v1, Acrobot-v1, Pendulum-v1 and
 * MountainCarContinuous-v0, 5 seeds each (not the seeds the presets were tuned on), one core.
 * Per seed: env steps and training seconds until a deterministic evaluation (the policy `eval`
 * uses: 5 episodes, every EVAL_EVERY_UPDATES updates, timed apart from training) reaches the
 * threshold, the deterministic return at the end of the budget (10 episodes), the same for the
 * best policy of the in-training evaluations (what `policygrad eval` loads: checkpoints/best), and
 * training steps/s. In the same run: our REINFORCE on CartPole-v1 (its preset, same criterion), and a
 * PyTorch PPO with the same hyperparameters on the same CartPole
 * equations in numpy (bench/peers/ppo_torch.py, Debian's python3-torch), alternated seed by seed
 * with ours so the speed ratio is paired. Prints a table per env and, last, one JSON line.
 *
 * Cited, not run: rl-baselines3-zoo PPO CartPole-v1 500 at 100k steps, Pendulum-v1 -172 +- 104 at
 * 100k, Acrobot-v1 -73.5 at 1M, MountainCarContinuous-v0 88.3 at 20k; CleanRL ppo.py CartPole-v1
 * 490 at 500k steps at about 800 steps/s on a CPU.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { evaluate } from "../src/algos/evaluate.ts";
import { ppoAlgorithm, resolvePpoConfig } from "../src/algos/ppo.ts";
import { PPO_ENV_CONFIGS } from "../src/algos/ppo-config.ts";
import { REINFORCE_ENV_PRESETS } from "../src/algos/presets.ts";
import { reinforceAlgorithm } from "../src/algos/reinforce.ts";
import { type AlgorithmCheckpoint, type AnyAlgorithm, lrScale } from "../src/algos/trainer.ts";
import { make } from "../src/envs/registry.ts";

const SEEDS = [10, 11, 12, 13, 14];
const EVAL_EVERY_UPDATES = 10;
const ENVS: { id: string; threshold: number }[] = [
  { id: "CartPole-v1", threshold: 475 },
  { id: "Acrobot-v1", threshold: -100 },
  { id: "Pendulum-v1", threshold: -200 },
  { id: "MountainCarContinuous-v0", threshold: 90 },
];
/** Debian's python3 (python3-torch is installed for it), else whatever python3 is on the PATH. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const PEER_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  "../../../../bench/peers/ppo_torch.py",
);

interface Row {
  seed: number;
  stepsToThreshold: number | null;
  sToThreshold: number | null;
  finalReturn: number;
  /** The best in-training evaluation's policy, evaluated as the final one. */
  bestReturn: number;
  sps: number;
  trainS: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One seed of an algorithm of the trainer layer, driven update by update with the lr schedule the
 * trainer would use; evaluations (every EVAL_EVERY_UPDATES updates) are timed apart from training.
 */
function runAlgorithm(
  algo: AnyAlgorithm,
  config: object,
  id: string,
  threshold: number,
  seed: number,
): Row {
  const cfg = algo.resolveConfig({ ...config, seed });
  const learner = algo.init(id, cfg, null);
  let steps = 0;
  let trainS = 0;
  let hit: [number, number] | null = null;
  let best: { score: number; checkpoint: AlgorithmCheckpoint<unknown> } | null = null;
  for (let update = 1; steps < cfg.totalSteps; update++) {
    const t0 = performance.now();
    steps += learner.update({
      update,
      envSteps: steps,
      lrScale: lrScale(cfg.lrSchedule, steps / cfg.totalSteps),
      where: id,
      warn: () => {},
    }).envSteps;
    trainS += (performance.now() - t0) / 1000;
    if (update % EVAL_EVERY_UPDATES === 0) {
      const e = evaluate(learner.policy, id, { episodes: 5, seed: 99, deterministic: true });
      if (hit === null && e.returnMean >= threshold) hit = [steps, trainS];
      // As the trainer keeps checkpoints/best: the first evaluation that beats every earlier one.
      if (best === null || e.returnMean > best.score) {
        best = { score: e.returnMean, checkpoint: learner.save() };
      }
    }
  }
  const final = evaluate(learner.policy, id, { episodes: 10, seed: 123, deterministic: true });
  learner.close();
  const bestEval =
    best === null
      ? final
      : evaluate(algo.policy(best.checkpoint, cfg, make(id)), id, {
          episodes: 10,
          seed: 123,
          deterministic: true,
        });
  return {
    seed,
    stepsToThreshold: hit?.[0] ?? null,
    sToThreshold: hit?.[1] ?? null,
    finalReturn: final.returnMean,
    bestReturn: bestEval.returnMean,
    sps: steps / trainS,
    trainS,
  };
}

function runTorch(seed: number): Row | null {
  const c = resolvePpoConfig(PPO_ENV_CONFIGS["CartPole-v1"]);
  const args = {
    seed,
    total_steps: c.totalSteps,
    num_envs: c.numEnvs,
    rollout_steps: c.rolloutSteps,
    update_epochs: c.updateEpochs,
    num_minibatches: c.numMinibatches,
    gamma: c.gamma,
    gae_lambda: c.gaeLambda,
    clip_coef: c.clipCoef,
    entropy_coef: c.entropyCoef,
    value_coef: c.valueCoef,
    max_grad_norm: c.maxGradNorm,
    lr: c.lr,
    hidden_sizes: c.hiddenSizes,
    threshold: 475,
    eval_every: EVAL_EVERY_UPDATES,
  };
  const r = spawnSync(PYTHON, [PEER_SCRIPT, JSON.stringify(args)], { encoding: "utf8" });
  if (r.status !== 0) {
    console.log(`(PyTorch peer unavailable: ${r.stderr.trim().split("\n").pop() ?? r.error})`);
    return null;
  }
  const j = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return {
    seed,
    stepsToThreshold: j.steps_to_threshold,
    sToThreshold: j.s_to_threshold,
    finalReturn: j.final_eval,
    bestReturn: Number.NaN,
    sps: j.sps,
    trainS: j.train_s,
  };
}

function table(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log(
    "seed | steps to threshold | train s to threshold | final det. return | best det. return | train steps/s",
  );
  console.log(
    "-----|--------------------|----------------------|-------------------|------------------|--------------",
  );
  for (const r of rows) {
    console.log(
      `${String(r.seed).padStart(4)} | ${String(r.stepsToThreshold ?? "not reached").padStart(18)} | ${(r.sToThreshold?.toFixed(2) ?? "-").padStart(20)} | ${r.finalReturn.toFixed(1).padStart(17)} | ${(Number.isNaN(r.bestReturn) ? "-" : r.bestReturn.toFixed(1)).padStart(16)} | ${r.sps.toFixed(0).padStart(13)}`,
    );
  }
}

const summary: Record<string, object> = {};
let peerRatio: number | null = null;
for (const { id, threshold } of ENVS) {
  const ours: Row[] = [];
  const peer: Row[] = [];
  for (const seed of SEEDS) {
    ours.push(runAlgorithm(ppoAlgorithm as AnyAlgorithm, PPO_ENV_CONFIGS[id], id, threshold, seed));
    if (id === "CartPole-v1") {
      const p = runTorch(seed);
      if (p !== null) peer.push(p);
    }
  }
  const cfg = resolvePpoConfig(PPO_ENV_CONFIGS[id]);
  table(`PPO on ${id} (preset, budget ${cfg.totalSteps} steps, threshold ${threshold})`, ours);
  // An unreached threshold counts as the whole budget, so the median cannot flatter.
  const stepsTo = ours.map((r) => r.stepsToThreshold ?? cfg.totalSteps);
  const sTo = ours.map((r) => r.sToThreshold ?? r.trainS);
  const sps = median(ours.map((r) => r.sps));
  summary[id] = {
    median_steps_to_threshold: median(stepsTo),
    worst_steps_to_threshold: Math.max(...stepsTo),
    median_wall_s: Number(median(sTo).toFixed(3)),
    solved_fraction: ours.filter((r) => r.stepsToThreshold !== null).length / ours.length,
    median_final_return: Number(median(ours.map((r) => r.finalReturn)).toFixed(1)),
    median_best_return: Number(median(ours.map((r) => r.bestReturn)).toFixed(1)),
    worst_best_return: Number(Math.min(...ours.map((r) => r.bestReturn)).toFixed(1)),
    sps: Math.round(sps),
  };
  if (peer.length > 0) {
    table(
      "PyTorch PPO peer, same hyperparameters, numpy CartPole (paired with the rows above)",
      peer,
    );
    const ratios = peer.map((p) => ours.find((o) => o.seed === p.seed)!.sps / p.sps);
    peerRatio = median(ratios);
    console.log(
      `speed ratio policygrad / PyTorch (median of per-seed pairs): ${peerRatio.toFixed(1)}x (target >= 20x)`,
    );
  }
}

// Our REINFORCE on CartPole-v1 in the same run, by the same criterion, with its CartPole preset
// and its default budget.
const rf = SEEDS.map((seed) =>
  runAlgorithm(
    reinforceAlgorithm as AnyAlgorithm,
    REINFORCE_ENV_PRESETS["CartPole-v1"].config,
    "CartPole-v1",
    475,
    seed,
  ),
);
table("REINFORCE on CartPole-v1 (its preset and budget), same criterion", rf);
const rfSteps = rf.map((r) => r.stepsToThreshold ?? Number.POSITIVE_INFINITY);
console.log(
  "\ncited: rl-baselines3-zoo PPO CartPole-v1 500 @100k, Pendulum-v1 -172 +- 104 @100k, Acrobot-v1 -73.5 @1M, MountainCarContinuous-v0 88.3 @20k; CleanRL ppo.py CartPole-v1 490 @500k, ~800 steps/s",
);
console.log(
  "targets: every env solved on every seed; CartPole median <= 50k steps and <= 0.5 s; Pendulum median <= 100k, worst <= 300k; Acrobot <= 200k; >= 20x the PyTorch peer's steps/s",
);
console.log(
  JSON.stringify({
    bench: "ppo",
    envs: summary,
    reinforce_cartpole: {
      median_steps_to_threshold: median(rfSteps),
      median_wall_s: Number(median(rf.map((r) => r.sToThreshold ?? r.trainS)).toFixed(3)),
      solved_fraction: rf.filter((r) => r.stepsToThreshold !== null).length / rf.length,
      sps: Math.round(median(rf.map((r) => r.sps))),
    },
    torch_peer_speed_ratio: peerRatio === null ? null : Number(peerRatio.toFixed(2)),
  }),
);

/**
 * `npm run bench:apg`: analytic policy gradients on Pendulum-v1 with the defaults, 5 seeds, against
 * REINFORCE (its best settings, bench/pendulum-reinforce.ts, a fixed budget of 1M env steps) and
 * the PyTorch APG peer (../shared/peers/torch_apg_pendulum.py, one thread, 4 envs x 100-step
 * windows: its best setting), run beside it.
 *
 * One evaluation protocol for both of ours: the deterministic policy from the same 32 start states
 * (drawn once from Pendulum's initial distribution), 200 steps each, every EVAL_EVERY env steps of
 * training. Reported: env steps and training wall time (evaluations excluded) until the mean first
 * reaches -200, and the final policy's mean over the same 32 starts. A method that never reaches
 * -200 counts its whole budget. Also: APG's training steps/s, and the memory one update holds at
 * window 200 with 64 envs (the tape of the unrolled window).
 *
 * Last line: {"bench":"apg","median_steps_to_threshold":..,...}.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { apgAlgorithm } from "../src/algos/apg.ts";
import type { Policy } from "../src/algos/policy.ts";
import { reinforceAlgorithm } from "../src/algos/reinforce.ts";
import { type AnyAlgorithm, createTrainer } from "../src/algos/trainer.ts";
import { Rng } from "../src/core/rng.ts";
import { pendulumDynamics } from "../src/envs/classic/pendulum.ts";
import { make } from "../src/envs/registry.ts";
import { PENDULUM_REINFORCE } from "./pendulum-reinforce.ts";

const ENV = "Pendulum-v1";
const THRESHOLD = -200;
const SEEDS = [0, 1, 2, 3, 4];
const REINFORCE_BUDGET = 1_000_000;

// The 32 evaluation starts, the same for every method and seed.
const START_RNG = new Rng(20_261_202);
const STARTS = Array.from({ length: 32 }, () => {
  const s = new Float64Array(2);
  pendulumDynamics.initial(pendulumDynamics.params(), START_RNG, s, 0);
  return s;
});

/** Mean return of the deterministic policy over the 32 starts. */
function evalFixed(policy: Policy): number {
  const env = make(ENV);
  const act = new Float64Array(1);
  const rng = new Rng(0);
  let total = 0;
  for (const state of STARTS) {
    let obs = env.reset({ options: { state } }).observation;
    for (let t = 0; t < 200; t++) {
      policy.act(obs, 1, rng, act, true);
      const r = env.step(act);
      total += r.reward;
      obs = r.observation;
      if (r.truncated || r.terminated) break;
    }
  }
  return total / STARTS.length;
}

interface Outcome {
  reached: boolean;
  steps: number;
  wallS: number;
  finalReturn: number;
  trainSteps: number;
  trainWallS: number;
}

/** Trains until the budget (APG) or the threshold (REINFORCE, to save its long budget). */
function run(
  algo: AnyAlgorithm,
  config: Record<string, unknown>,
  evalEvery: number,
  stopAtThreshold: boolean,
): Outcome {
  const t = createTrainer(algo, ENV, { ...config, evalEvery: 0 }, { onWarning: () => {} });
  let trainWallS = 0;
  let hit: { steps: number; wallS: number } | null = null;
  let lastEval = Number.NaN;
  let nextEval = evalEvery;
  while (t.finished === null) {
    const t0 = performance.now();
    t.step();
    trainWallS += (performance.now() - t0) / 1000;
    if (t.envSteps >= nextEval) {
      nextEval += evalEvery;
      lastEval = evalFixed(t.policy);
      if (hit === null && lastEval >= THRESHOLD) {
        hit = { steps: t.envSteps, wallS: trainWallS };
        if (stopAtThreshold) break;
      }
    }
  }
  const finalReturn = evalFixed(t.policy);
  const steps = t.envSteps;
  t.close();
  return {
    reached: hit !== null,
    steps: hit?.steps ?? steps,
    wallS: hit?.wallS ?? trainWallS,
    finalReturn,
    trainSteps: steps,
    trainWallS,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The memory one APG update holds (its tape and buffers) at window 200 with 64 envs, in MB. */
function updateMemoryMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const t = createTrainer(apgAlgorithm, ENV, {
    numEnvs: 64,
    window: 200,
    totalSteps: 64 * 200 * 4,
    evalEvery: 0,
  });
  t.step();
  gc?.();
  const after = process.memoryUsage();
  t.close();
  const mb =
    (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
  return gc ? mb : Number.NaN;
}

/** The PyTorch peer on `seed`, installing Debian's python3-torch first if it is missing. */
function peer(seed: number): { reached: boolean; env_steps: number; wall_s: number } | null {
  const script = join(
    dirname(fileURLToPath(import.meta.url)),
    "../../../../shared/peers/torch_apg_pendulum.py",
  );
  const path = existsSync(script)
    ? script
    : join(process.cwd(), "../shared/peers/torch_apg_pendulum.py");
  if (!existsSync(path)) return null;
  // Debian's python3-torch lives in the system interpreter (a pyenv python3 may come first on PATH).
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const hasTorch = () => spawnSync(python, ["-c", "import torch"]).status === 0;
  if (!hasTorch()) {
    console.log("(installing python3-torch with apt-get for the peer)");
    spawnSync("apt-get", ["install", "-y", "-qq", "python3-torch"], {
      stdio: "ignore",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (!hasTorch()) return null;
  }
  const out = execFileSync(
    python,
    [path, "--seed", String(seed + 1), "--envs", "4", "--window", "100", "--max-steps", "300000"],
    { encoding: "utf8" },
  );
  return JSON.parse(out.trim().split("\n").pop() as string);
}

const apg = SEEDS.map((seed) => run(apgAlgorithm, { seed }, 1024, false));
const rf = SEEDS.map((seed) =>
  run(
    reinforceAlgorithm,
    { ...PENDULUM_REINFORCE, seed, totalSteps: REINFORCE_BUDGET },
    16_000,
    true,
  ),
);
const peers = SEEDS.map((seed) => peer(seed));
const memory = updateMemoryMb();

const row = (name: string, o: Outcome[]) => {
  const steps = o.map((x) => x.steps);
  console.log(
    `${name.padEnd(22)} | ${o.filter((x) => x.reached).length}/${o.length} | ${steps
      .map((s) => (s / 1000).toFixed(1))
      .join(", ")
      .padEnd(36)} | ${(median(steps) / 1000).toFixed(1).padStart(7)}k | ${median(
      o.map((x) => x.wallS),
    )
      .toFixed(2)
      .padStart(6)} | ${o.map((x) => x.finalReturn.toFixed(0)).join(", ")}`,
  );
};
console.log(
  `Pendulum-v1, ${SEEDS.length} seeds; threshold ${THRESHOLD} on the deterministic policy from 32 fixed starts`,
);
console.log(
  "method                 | hit | env steps to -200 per seed (k)       | median   | wall s | final return per seed",
);
row("apg (defaults)", apg);
row(`reinforce (1M budget)`, rf);
const okPeers = peers.filter((p) => p !== null);
if (okPeers.length > 0) {
  const ps = okPeers.map((p) => p.env_steps);
  console.log(
    `${"torch apg peer 4x100".padEnd(22)} | ${okPeers.filter((p) => p.reached).length}/${okPeers.length} | ${ps
      .map((s) => (s / 1000).toFixed(1))
      .join(", ")
      .padEnd(36)} | ${(median(ps) / 1000).toFixed(1).padStart(7)}k | ${median(
      okPeers.map((p) => p.wall_s),
    )
      .toFixed(2)
      .padStart(6)} |`,
  );
} else console.log("torch apg peer: unavailable (no python3-torch)");
const sps = apg.reduce((a, o) => a + o.trainSteps, 0) / apg.reduce((a, o) => a + o.trainWallS, 0);
console.log(
  `APG training: ${Math.round(sps)} env steps/s; one update at window 200 x 64 envs holds ${memory.toFixed(1)} MB`,
);
const apgMedian = median(apg.map((o) => o.steps));
const rfMedian = median(rf.map((o) => o.steps));
const rfReached = rf.filter((o) => o.reached).length;
if (rfReached < rf.length) {
  console.log(
    `(REINFORCE reached -200 on ${rfReached}/${rf.length} seeds; the others count their 1M budget)`,
  );
}
console.log(
  JSON.stringify({
    bench: "apg",
    median_steps_to_threshold: apgMedian,
    worst_steps_to_threshold: Math.max(...apg.map((o) => o.steps)),
    median_wall_s: Number(median(apg.map((o) => o.wallS)).toFixed(3)),
    seeds_reached: apg.filter((o) => o.reached).length,
    reinforce_steps_to_threshold: rfMedian,
    reinforce_seeds_reached: rfReached,
    steps_ratio_reinforce_over_apg: Number((rfMedian / apgMedian).toFixed(1)),
    sps: Math.round(sps),
    update_memory_mb_w200_b64: Number(memory.toFixed(1)),
    peer_median_steps: okPeers.length ? median(okPeers.map((p) => p.env_steps)) : null,
    peer_median_wall_s: okPeers.length ? median(okPeers.map((p) => p.wall_s)) : null,
  }),
);

/**
 * `npm run bench:cartpole`: REINFORCE with the default config on CartPole-v1, 5 seeds, one core.
 * Per seed: wall time and env steps until the mean return of the last 100 training episodes
 * reaches 475 (Gymnasium's threshold), and training steps per second. Prints a table, the peer's
 * figures, and last one JSON line.
 *
 * Peer (issue 4, measured on this machine): a PyTorch REINFORCE with the same estimator (8 episodes
 * a batch, Adam 1e-2, gamma 0.99, reward-to-go, normalized advantages) on Gymnasium's CartPole-v1
 * solved in a median 6.0 s and 94k steps at about 15k steps/s.
 *
 * No warm-up run: each seed's time includes whatever JIT compilation it triggers, as a user's
 * first run would (the first seed pays the most).
 */
import { reinforce, reinforceSchema } from "../src/algos/reinforce.ts";
import { defaultConfig } from "../src/config/schema.ts";

const SEEDS = [0, 1, 2, 3, 4];
/** A cap so an unsolved seed ends; well above the 100k-step target. */
const MAX_STEPS = 1_000_000;
const PEER = {
  name: "PyTorch REINFORCE (Gymnasium CartPole)",
  timeS: 6.0,
  steps: 94_000,
  sps: 15_000,
};

interface Row {
  seed: number;
  solved: boolean;
  timeS: number;
  steps: number;
  sps: number;
  updates: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const rows: Row[] = [];
for (const seed of SEEDS) {
  const ac = new AbortController();
  let row: Row | null = null;
  const result = reinforce(
    "CartPole-v1",
    // Training alone, to the last-100 criterion: no in-training evaluations, no stopping on them.
    { seed, totalSteps: MAX_STEPS, evalEvery: 0 },
    {
      signal: ac.signal,
      onMetrics: (m) => {
        if (m.episodes >= 100 && (m.returnMean100 ?? 0) >= 475) {
          row = {
            seed,
            solved: true,
            timeS: m.wallTimeS,
            steps: m.envSteps,
            sps: m.stepsPerSecond,
            updates: m.update,
          };
          ac.abort();
        }
      },
    },
  );
  const m = result.metrics!;
  rows.push(
    row ?? {
      seed,
      solved: false,
      timeS: m.wallTimeS,
      steps: m.envSteps,
      sps: m.stepsPerSecond,
      updates: m.update,
    },
  );
}

const cfg = defaultConfig(reinforceSchema);
console.log(
  `REINFORCE on CartPole-v1, defaults: ${cfg.batchMode} mode, ${cfg.batchEpisodes} episodes/batch over ${cfg.numEnvs} envs, ` +
    `${cfg.optimizer} lr ${cfg.lr}, gamma ${cfg.gamma}, ${cfg.returnMode}, baseline ${cfg.baseline}, ` +
    `normalize ${cfg.normalizeAdvantages}, hidden [${cfg.hiddenSizes.join(", ")}] ${cfg.activation}`,
);
console.log("");
console.log("seed | solved | time to solve (s) | steps to solve | updates | train steps/s");
console.log("-----|--------|-------------------|----------------|---------|--------------");
for (const r of rows) {
  console.log(
    `${String(r.seed).padStart(4)} | ${(r.solved ? "yes" : "NO").padEnd(6)} | ${r.timeS.toFixed(3).padStart(17)} | ${String(r.steps).padStart(14)} | ${String(r.updates).padStart(7)} | ${r.sps.toFixed(0).padStart(13)}`,
  );
}
const solved = rows.filter((r) => r.solved);
// Unsolved seeds count as their full budget (time and steps), so the median cannot flatter.
const medTime = median(rows.map((r) => r.timeS));
const medSteps = median(rows.map((r) => r.steps));
const sps = median(rows.map((r) => r.sps));
const W = PEER.name.length + 6;
console.log("");
console.log(`${"".padEnd(W)} | median time to solve (s) | median steps to solve | steps/s`);
console.log(
  `${"policygrad (this run)".padEnd(W)} | ${medTime.toFixed(3).padStart(24)} | ${String(medSteps).padStart(21)} | ${sps.toFixed(0).padStart(7)}`,
);
console.log(
  `${`peer: ${PEER.name}`.padEnd(W)} | ${PEER.timeS.toFixed(3).padStart(24)} | ${String(PEER.steps).padStart(21)} | ${String(PEER.sps).padStart(7)}`,
);
console.log(
  `${"peer / policygrad".padEnd(W)} | ${`${(PEER.timeS / medTime).toFixed(1)}x`.padStart(24)} | ${`${(PEER.steps / medSteps).toFixed(2)}x`.padStart(21)} | ${`${(PEER.sps / sps).toFixed(2)}x`.padStart(7)}`,
);
console.log("targets (one core): median time <= 1.5 s, median steps <= 100k, >= 100k steps/s");
console.log(
  JSON.stringify({
    bench: "cartpole",
    median_time_to_solve_s: Number(medTime.toFixed(3)),
    median_steps_to_solve: medSteps,
    sps: Math.round(sps),
    solved: solved.length,
    seeds: SEEDS.length,
  }),
);

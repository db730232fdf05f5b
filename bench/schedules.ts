/**
 * `npm run bench:schedules`: does a learning-rate decay to zero over the budget give a better
 * final policy? REINFORCE with the defaults, the whole budget (no stopping), constant vs linear vs
 * cosine `lrSchedule`, 4 seeds (10-13, not the ones other benchmarks use). Reports the final
 * policy's and the best in-training evaluation's deterministic return (20 episodes, eval seed
 * 123); last line one JSON object.
 */
import { evaluate } from "../src/algos/evaluate.ts";
import { reinforce } from "../src/algos/reinforce.ts";

const SEEDS = [10, 11, 12, 13];
const TASKS = [
  { env: "CartPole-v1", budget: 100_000 },
  { env: "Acrobot-v1", budget: 150_000 },
] as const;
const SCHEDULES = ["constant", "linear", "cosine"] as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const out: Record<string, Record<string, { final_median: number; best_median: number }>> = {};
console.log("env             schedule  final (per seed)                      median  best median");
for (const task of TASKS) {
  out[task.env] = {};
  for (const lrSchedule of SCHEDULES) {
    const finals: number[] = [];
    const bests: number[] = [];
    for (const seed of SEEDS) {
      const r = reinforce(
        task.env,
        {
          seed,
          totalSteps: task.budget,
          lrSchedule,
          stop: false,
          evalEvery: 10_000,
          evalEpisodes: 10,
        },
        { onWarning: () => {} },
      );
      finals.push(
        evaluate(r.policy, task.env, { episodes: 20, seed: 123, deterministic: true }).returnMean,
      );
      bests.push(r.best?.returnMean ?? Number.NaN);
    }
    out[task.env][lrSchedule] = { final_median: median(finals), best_median: median(bests) };
    console.log(
      `${task.env.padEnd(15)} ${lrSchedule.padEnd(9)} ${finals.map((f) => f.toFixed(1).padStart(8)).join("")}  ${median(finals).toFixed(1).padStart(8)}  ${median(bests).toFixed(1).padStart(8)}`,
    );
  }
}
console.log(JSON.stringify({ bench: "schedules", seeds: SEEDS, envs: out }));

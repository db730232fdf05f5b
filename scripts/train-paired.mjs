// bench:cartpole's training loop (REINFORCE, defaults, CartPole-v1, no evaluations) for two builds
// in ONE process, alternated (A, B, B, A per round): training env steps per CPU second of runs of
// a fixed budget, the median ratio B/A over the rounds and its quartiles. See scripts/envs-paired.mjs
// for why one process. Each round uses its own seed, the same for both builds.
// Usage: node scripts/train-paired.mjs <build-A-dir> <build-B-dir> [--rounds N] [--steps N]
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const rounds = Number(option("--rounds", "9"));
const steps = Number(option("--steps", "200000"));
const [dirA, dirB] = args;
if (!dirA || !dirB) {
  console.error(
    "usage: node scripts/train-paired.mjs <build-A-dir> <build-B-dir> [--rounds N] [--steps N]",
  );
  process.exit(2);
}
const load = async (dir) =>
  (await import(pathToFileURL(join(resolve(dir), "bench/out/build/src/algos/reinforce.js")).href))
    .reinforce;
const [a, b] = [await load(dirA), await load(dirB)];

/** Env steps per CPU second of one training run of `steps` env steps. */
function rate(reinforce, seed) {
  const c0 = process.cpuUsage();
  const m = reinforce("CartPole-v1", { seed, totalSteps: steps, evalEvery: 0 }).metrics;
  const c = process.cpuUsage(c0);
  return m.envSteps / ((c.user + c.system) / 1e6);
}

rate(a, 100); // warm-up (JIT)
rate(b, 100);
const ratios = [];
for (let r = 0; r < rounds; r++) {
  const a1 = rate(a, r);
  const b1 = rate(b, r);
  const b2 = rate(b, r);
  const a2 = rate(a, r);
  ratios.push((b1 + b2) / (a1 + a2));
}
const sorted = [...ratios].sort((x, y) => x - y);
const median = sorted[rounds >> 1];
const q1 = sorted[Math.floor((rounds - 1) / 4)];
const q3 = sorted[Math.ceil((3 * (rounds - 1)) / 4)];
console.log(
  `REINFORCE CartPole-v1 training, ${steps} env steps per run, ${rounds} rounds of (A, B, B, A), node ${process.version}: steps per CPU second B/A = ${median.toFixed(3)} (quartiles ${q1.toFixed(2)}-${q3.toFixed(2)})`,
);
console.log(
  JSON.stringify({
    bench: "train-paired-inprocess",
    node: process.version,
    rounds,
    steps,
    ratio_b_over_a: +median.toFixed(4),
    q1: +q1.toFixed(4),
    q3: +q3.toFixed(4),
  }),
);

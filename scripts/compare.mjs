// The comparison of issue 14: what reusing a batch gains, and what the clip is for.
// Trains REINFORCE, the unclipped importance-sampled gradients (is: per-step ratio; is-pd:
// per-decision) and PPO on one env with the same seeds and budget (each with its per-env
// preset, no early stop), then plots them together, mean and min-max band over the seeds.
// Usage (after `npm run build`):
//   node scripts/compare.mjs CartPole-v1 [--seeds 0-4] [--total-steps 50000] [--out docs/compare-CartPole-v1.svg]
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const args = process.argv.slice(2);
const env = args[0];
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
if (!env || env.startsWith("--")) {
  console.error(
    "usage: node scripts/compare.mjs <env-id> [--seeds 0-4] [--total-steps N] [--out file.svg|png]",
  );
  process.exit(2);
}
const [lo, hi] = opt("--seeds", "0-4").split("-").map(Number);
const total = opt("--total-steps", "50000");
const out = opt("--out", `compare-${env}.svg`);
const algos = opt("--algos", "reinforce,is,is-pd,ppo").split(",");
const cli = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const dirs = [];
for (let seed = lo; seed <= hi; seed++) {
  for (const algo of algos) {
    const dir = join("runs", "compare", env, `${algo}-s${seed}`);
    const r = spawnSync(
      process.execPath,
      [
        cli,
        "train",
        env,
        "--algo",
        algo,
        "--seed",
        String(seed),
        "--total-steps",
        total,
        "--no-stop",
        "--out",
        dir,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
    console.log(`${algo} seed ${seed}: done (${dir})`);
    dirs.push(dir);
  }
}
const r = spawnSync(process.execPath, [cli, "plot", ...dirs, "--out", out], { stdio: "inherit" });
process.exit(r.status ?? 1);

/**
 * A tuning aid (not a benchmark: it prints what it measured and nothing is committed from it).
 * Trains one or more REINFORCE configs on many seeds, each (config, seed) in its own child process,
 * `--jobs` at a time under `nice`, and reports per seed the final deterministic evaluation return
 * (20 episodes, eval seed 1_000_000 + seed) of the policy `policygrad eval` would use (the best
 * evaluation's checkpoint when there is one, else the last), with the env steps and wall time, and
 * per config the minimum, median and fraction of seeds at `--target`. A config is overlaid on the
 * env's current preset (src/algos/presets.ts), as flags are on the command line.
 *
 *   npm run tune -- --env MountainCar-v0 --seeds 0-7 --target -130 \
 *     --config '{"shaping":10}' --config '{"shaping":30,"lr":0.01}'
 *
 * Tune on seeds the benchmark does not use (bench/defaults.ts uses 100-104).
 */
import { spawn } from "node:child_process";
import { evaluate } from "../src/algos/evaluate.ts";
import { REINFORCE_ENV_PRESETS } from "../src/algos/presets.ts";
import { type ReinforceConfig, reinforce, reinforcePolicy } from "../src/algos/reinforce.ts";
import { make } from "../src/envs/registry.ts";

interface Outcome {
  seed: number;
  evalReturn: number;
  envSteps: number;
  wallS: number;
}

/** Child: one training run, one JSON line on stdout. */
function child(env: string, config: Partial<ReinforceConfig>, seed: number): void {
  const t0 = performance.now();
  const preset = REINFORCE_ENV_PRESETS[env]?.config ?? {};
  const run = reinforce(env, { ...preset, ...config, seed }, { onWarning: () => {} });
  const wallS = (performance.now() - t0) / 1000;
  const policy = reinforcePolicy(run.best?.checkpoint ?? run.checkpoint, make(env));
  const ev = evaluate(policy, env, { episodes: 20, seed: 1_000_000 + seed, deterministic: true });
  const envSteps = run.metrics?.envSteps ?? 0;
  const out: Outcome = { seed, evalReturn: ev.returnMean, envSteps, wallS };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** "0-7", "3,5" or "0-6,8-11" -> the seeds. */
function parseSeeds(s: string): number[] {
  return s.split(",").flatMap((part) => {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (!m) return [Number(part)];
    const out: number[] = [];
    for (let i = Number(m[1]); i <= Number(m[2]); i++) out.push(i);
    return out;
  });
}

function runChild(env: string, config: string, seed: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      "nice",
      ["-n", "10", process.execPath, process.argv[1], "--child", env, config, String(seed)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let text = "";
    p.stdout.on("data", (d) => {
      text += d;
    });
    p.on("exit", (code) => {
      if (code !== 0) reject(new Error(`seed ${seed} of ${config}: exit code ${code}`));
      else resolve(JSON.parse(text.trim().split("\n").pop()!) as Outcome);
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") {
    child(argv[1], JSON.parse(argv[2]), Number(argv[3]));
    return;
  }
  let env = "CartPole-v1";
  let seeds = parseSeeds("0-7");
  let jobs = 2;
  let target = Number.NEGATIVE_INFINITY;
  const configs: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === "--env") env = v;
    else if (k === "--seeds") seeds = parseSeeds(v);
    else if (k === "--jobs") jobs = Number(v);
    else if (k === "--target") target = Number(v);
    else if (k === "--config") configs.push(JSON.stringify(JSON.parse(v)));
    else
      throw new Error(
        `tune: unknown argument ${k} (expected --env, --seeds, --jobs, --target, --config)`,
      );
  }
  if (configs.length === 0) configs.push("{}");
  const tasks = configs.flatMap((c) => seeds.map((s) => ({ c, s })));
  const results = new Map<string, Outcome[]>(configs.map((c) => [c, []]));
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const { c, s } = tasks[next++];
      const o = await runChild(env, c, s);
      results.get(c)!.push(o);
      console.log(
        `${c} seed ${s}: eval ${o.evalReturn.toFixed(1)}, ${o.envSteps} steps, ${o.wallS.toFixed(1)} s`,
      );
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  console.log(`\n${env}, target ${target}`);
  for (const c of configs) {
    const rs = results.get(c)!.sort((a, b) => a.seed - b.seed);
    const ret = rs.map((r) => r.evalReturn).sort((a, b) => a - b);
    const med = ret[Math.floor(ret.length / 2)];
    const hit = ret.filter((r) => r >= target).length;
    const wall = rs.map((r) => r.wallS).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
    console.log(
      `${c}: min ${ret[0].toFixed(1)} median ${med.toFixed(1)} at-target ${hit}/${ret.length} wall(med) ${wall.toFixed(1)} s | ${rs.map((r) => `${r.seed}:${r.evalReturn.toFixed(0)}`).join(" ")}`,
    );
  }
}

await main();

/**
 * `npm run bench:defaults`: does `policygrad train <id>` with no flag but the seed end with a good
 * policy? For every built-in env and 5 seeds that the presets were not tuned on (100-104; tuning
 * used 0-15), it runs the built CLI as a user would (`train <id> --seed S --out <tmp>`), then
 * `eval <run> --episodes 20 --deterministic`, which evaluates the policy `eval` uses. Per env: the
 * fraction of seeds at the preset table's value (README, "Defaults per environment"), the median
 * and minimum return, and the median wall time (the whole train command, evaluations during
 * training included) and env steps. No peer to compare with: the reference is the table's value.
 *
 * Wall time depends on what else the machine runs; where /usr/bin/time exists, the train command's
 * CPU time (user + sys, its worker thread included) is reported beside it, which a shared machine
 * inflates far less. Runs one command at a time by default, so wall times are not inflated by each other
 * (`--jobs 2` halves the time on an idle 2-core machine); `--envs a,b` and `--seeds 0-4` narrow it.
 * The last line is one JSON object of headline figures.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readMetrics } from "../src/io/metrics.ts";

/** The value every seed should reach (deterministic evaluation, 20 episodes): the README's table. */
const TARGETS: Record<string, number> = {
  "CartPole-v1": 475,
  "Acrobot-v1": -100,
  "MountainCar-v0": -130,
  "Pendulum-v1": -300,
  "MountainCarContinuous-v0": 90,
};
const CLI = resolve("dist/cli/main.js");
const EVAL_SEED = 2_000_000;

interface Row {
  env: string;
  seed: number;
  evalReturn: number;
  wallS: number;
  /** User + sys CPU seconds of the train command, NaN without /usr/bin/time. */
  cpuS: number;
  envSteps: number;
}
const TIME = "/usr/bin/time";

function run(args: string[]): Promise<{ out: string; wallS: number; cpuS: number }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const timed = existsSync(TIME);
    const p = timed
      ? spawn(TIME, ["-f", "cpu %U %S", process.execPath, CLI, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        })
      : spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("exit", (code) => {
      const wallS = (performance.now() - t0) / 1000;
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(err);
      const cpuS = m ? Number(m[1]) + Number(m[2]) : Number.NaN;
      if (code === 0) done({ out, wallS, cpuS });
      else fail(new Error(`policygrad ${args.join(" ")}: exit code ${code}\n${err}`));
    });
  });
}

async function one(env: string, seed: number, root: string): Promise<Row> {
  const dir = join(root, `${env}-${seed}`);
  const train = await run(["train", env, "--seed", String(seed), "--out", dir]);
  const ev = await run([
    "eval",
    dir,
    "--episodes",
    "20",
    "--deterministic",
    "--seed",
    `${EVAL_SEED}`,
  ]);
  const summary = JSON.parse(ev.out.trim().split("\n").pop()!) as { return_mean: number };
  const rows = readMetrics(join(dir, "metrics.jsonl")).rows;
  let envSteps = 0;
  for (const r of rows)
    if (typeof r.envSteps === "number") envSteps = Math.max(envSteps, r.envSteps);
  return {
    env,
    seed,
    evalReturn: summary.return_mean,
    wallS: train.wallS,
    cpuS: train.cpuS,
    envSteps,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let envs = Object.keys(TARGETS);
  let seeds = [100, 101, 102, 103, 104];
  let jobs = 1;
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--envs") envs = argv[i + 1].split(",");
    else if (argv[i] === "--seeds") seeds = parseSeeds(argv[i + 1]);
    else if (argv[i] === "--jobs") jobs = Number(argv[i + 1]);
    else
      throw new Error(
        `bench:defaults: unknown argument ${argv[i]} (expected --envs, --seeds, --jobs)`,
      );
  }
  const root = mkdtempSync(join(tmpdir(), "policygrad-defaults-"));
  const tasks = envs.flatMap((env) => seeds.map((seed) => ({ env, seed })));
  const rows: Row[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const { env, seed } = tasks[next++];
      const r = await one(env, seed, root);
      rows.push(r);
      console.error(
        `${env} seed ${seed}: eval ${r.evalReturn.toFixed(1)}, ${r.envSteps} steps, ${r.wallS.toFixed(2)} s (cpu ${r.cpuS.toFixed(2)} s)`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  console.log(
    `policygrad train <id> --seed S (no other flag), seeds ${seeds.join(", ")}; deterministic eval of the policy eval uses, 20 episodes`,
  );
  console.log(
    "env                      | target | at target | median return | min return | median wall s | median cpu s | median env steps | per seed",
  );
  console.log(
    "-------------------------|--------|-----------|---------------|------------|---------------|--------------|------------------|---------",
  );
  const json: Record<
    string,
    { solved_fraction: number; median_return: number; median_wall_s: number; median_cpu_s: number }
  > = {};
  for (const env of envs) {
    const rs = rows.filter((r) => r.env === env).sort((a, b) => a.seed - b.seed);
    const target = TARGETS[env];
    const ret = rs.map((r) => r.evalReturn);
    const hit = ret.filter((x) => x >= target).length;
    const med = median(ret);
    const wall = median(rs.map((r) => r.wallS));
    const cpu = median(rs.map((r) => r.cpuS));
    console.log(
      `${env.padEnd(24)} | ${String(target).padStart(6)} | ${`${hit}/${rs.length}`.padStart(9)} | ${med.toFixed(1).padStart(13)} | ${Math.min(
        ...ret,
      )
        .toFixed(1)
        .padStart(
          10,
        )} | ${wall.toFixed(2).padStart(13)} | ${cpu.toFixed(2).padStart(12)} | ${String(median(rs.map((r) => r.envSteps))).padStart(16)} | ${rs.map((r) => `${r.seed}:${r.evalReturn.toFixed(0)}`).join(" ")}`,
    );
    json[env] = {
      solved_fraction: hit / rs.length,
      median_return: Number(med.toFixed(2)),
      median_wall_s: Number(wall.toFixed(3)),
      median_cpu_s: Number(cpu.toFixed(3)),
    };
  }
  console.log(JSON.stringify({ bench: "defaults", envs: json }));
}

await main();

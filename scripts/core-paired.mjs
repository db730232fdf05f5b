// bench:core's step (forward + backward of the REINFORCE loss -mean(logp(a) w) of the 4-64-64-2
// tanh MLP) for two builds in ONE process, alternated in short windows (A, B, B, A per round):
// samples per CPU second per batch size, the median ratio B/A over the rounds and its quartiles.
// See scripts/envs-paired.mjs for why one process.
// Usage: node scripts/core-paired.mjs <build-A-dir> <build-B-dir> [--rounds N]
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const rounds = Number(option("--rounds", "9"));
const [dirA, dirB] = args;
if (!dirA || !dirB) {
  console.error("usage: node scripts/core-paired.mjs <build-A-dir> <build-B-dir> [--rounds N]");
  process.exit(2);
}
const WINDOW_MS = 150;
const BATCHES = [1, 16, 256, 4096];
const spec = {
  inputSize: 4,
  hiddenSizes: [64, 64],
  outputSize: 2,
  activation: "tanh",
  prefix: "pi",
};

async function load(dir) {
  const at = (path) => pathToFileURL(join(resolve(dir), "bench/out/build/src", path)).href;
  return { core: await import(at("core/index.js")), nn: await import(at("nn/index.js")) };
}

/** bench:core's step at batch B, with the same parameters and data in both builds. */
function step({ core, nn }, B) {
  const rng = new core.Rng(0);
  const params = nn.initMlp(spec, rng);
  const obs = new Float64Array(B * 4);
  rng.fillNormal(obs);
  const actions = new Int32Array(B);
  const weights = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    actions[i] = rng.int(2);
    weights[i] = rng.normal();
  }
  const x = core.tensor(obs, [B, 4]);
  const w = core.tensor(weights, [B]);
  const { neg, mean, mul, logSoftmaxGather } = core;
  const lossFn = core.valueAndGrad(
    (p) => neg(mean(mul(logSoftmaxGather(nn.mlp(p, spec, x), actions), w))),
    { reuseGrads: true },
  );
  return () => lossFn(params).value;
}

/** Samples per CPU second of `run` (one step of `B` samples per call) over WINDOW_MS. */
function rate(run, B) {
  let calls = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < WINDOW_MS) {
    run();
    calls++;
  }
  const c = process.cpuUsage(c0);
  return (calls * B) / ((c.user + c.system) / 1e6);
}

const builds = [await load(dirA), await load(dirB)];
const out = {};
console.log(
  `bench:core's step paired in one process, ${rounds} rounds of (A, B, B, A), node ${process.version}: A = ${dirA}, B = ${dirB}`,
);
for (const B of BATCHES) {
  const [a, b] = builds.map((build) => step(build, B));
  if (a() !== b()) console.log(`batch ${B}: the builds' losses differ (engine math in one)`);
  rate(a, B); // warm-up (JIT)
  rate(b, B);
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const a1 = rate(a, B);
    const b1 = rate(b, B);
    const b2 = rate(b, B);
    const a2 = rate(a, B);
    ratios.push((b1 + b2) / (a1 + a2));
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const m = sorted[rounds >> 1];
  const q1 = sorted[Math.floor((rounds - 1) / 4)];
  const q3 = sorted[Math.ceil((3 * (rounds - 1)) / 4)];
  out[B] = { ratio: +m.toFixed(3), q1: +q1.toFixed(3), q3: +q3.toFixed(3) };
  console.log(
    `batch ${String(B).padStart(4)}: samples per CPU second B/A ${m.toFixed(3)} (quartiles ${q1.toFixed(2)}-${q3.toFixed(2)})`,
  );
}
console.log(
  JSON.stringify({
    bench: "core-paired-inprocess",
    node: process.version,
    rounds,
    ratio_b_over_a: out,
  }),
);

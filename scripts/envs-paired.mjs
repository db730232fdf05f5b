// bench:envs's three figures per environment (single: Env.reset/step with its policy; vector64:
// makeVec N = 64, the step() calls alone; vector64_with_policy: the whole loop) for two builds in
// ONE process, alternated in short windows (A, B, B, A per round), printing the median ratio B/A
// over the rounds and its quartiles. Separate processes, as scripts/bench-paired.mjs runs them, move
// by up to 2x on this shared machine even with pairs; windows a few hundred milliseconds apart in
// one process see the same load. Each build's modules are separate instances, so neither build's
// type feedback reaches the other's code.
// Usage: node scripts/envs-paired.mjs <build-A-dir> <build-B-dir> [--rounds N] [env ids...]
//   where a build dir holds bench/out/build (see scripts/math-engine-build.mjs).
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const rounds = Number(option("--rounds", "9"));
const [dirA, dirB, ...only] = args;
if (!dirA || !dirB) {
  console.error(
    "usage: node scripts/envs-paired.mjs <build-A-dir> <build-B-dir> [--rounds N] [env ids...]",
  );
  process.exit(2);
}
const N = 64;
const WINDOW_MS = 100;

async function load(dir) {
  const at = (path) => pathToFileURL(join(resolve(dir), "bench/out/build", path)).href;
  return {
    make: (await import(at("src/envs/registry.js"))).make,
    makeVec: (await import(at("src/envs/vector.js"))).makeVec,
    policies: (await import(at("bench/env-policies.js"))).POLICIES,
  };
}
const builds = [await load(dirA), await load(dirB)];
const ids = only.length > 0 ? only : Object.keys(builds[0].policies);

/** Runs `batch` (which returns [steps, counted ms]) for WINDOW_MS: steps per counted second. */
function rate(batch) {
  let steps = 0;
  let ms = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < WINDOW_MS) {
    const [s, m] = batch();
    steps += s;
    ms += m;
  }
  return steps / (ms / 1000);
}
/** Milliseconds of this process's CPU time spent in `body`. */
function cpuMs(body) {
  const c0 = process.cpuUsage();
  body();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function single({ make, policies }, id) {
  const env = make(id);
  const policy = policies[id];
  const discrete = env.actionSpace.kind === "discrete";
  const od = env.observationSpace.kind === "box" ? env.observationSpace.size : 1;
  const act = new Float64Array(1);
  let obs = env.reset({ seed: 0 }).observation;
  return () => [
    1000,
    cpuMs(() => {
      for (let k = 0; k < 1000; k++) {
        policy(obs, od, act, 1);
        const r = env.step(discrete ? act[0] : act);
        obs = r.terminated || r.truncated ? env.reset().observation : r.observation;
      }
    }),
  ];
}

/** The vector loop, timing the step() calls alone (`stepOnly`) or the whole loop. */
function vector({ makeVec, policies }, id, stepOnly) {
  const venv = makeVec(id, N);
  const policy = policies[id];
  const actions = new Float64Array(N * venv.actDim);
  venv.reset(0);
  return () => {
    let ms = 0;
    const whole = cpuMs(() => {
      for (let k = 0; k < 16; k++) {
        policy(venv.observations, venv.obsDim, actions, N);
        const t0 = performance.now();
        venv.step(actions);
        ms += performance.now() - t0;
      }
    });
    return [16 * N, stepOnly ? ms : whole];
  };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const out = {};
console.log(
  `envs paired in one process, ${rounds} rounds of (A, B, B, A), node ${process.version}: A = ${dirA}, B = ${dirB}`,
);
console.log(
  `${"env".padEnd(26)}${"single".padStart(20)}${"vector64".padStart(20)}${"with policy".padStart(20)}`,
);
for (const id of ids) {
  const cells = [];
  out[id] = {};
  for (const [name, make] of [
    ["single", (b) => single(b, id)],
    ["vector64", (b) => vector(b, id, true)],
    ["vector64_with_policy", (b) => vector(b, id, false)],
  ]) {
    const [a, b] = builds.map(make);
    rate(a); // warm-up (JIT)
    rate(b);
    const ratios = [];
    for (let r = 0; r < rounds; r++) {
      const a1 = rate(a);
      const b1 = rate(b);
      const b2 = rate(b);
      const a2 = rate(a);
      ratios.push((b1 + b2) / (a1 + a2));
    }
    // The median and the quartiles: a window preempted by another process is an outlier.
    const sorted = [...ratios].sort((x, y) => x - y);
    const m = median(ratios);
    const lo = sorted[Math.floor((rounds - 1) / 4)];
    const hi = sorted[Math.ceil((3 * (rounds - 1)) / 4)];
    out[id][name] = { ratio: +m.toFixed(3), q1: +lo.toFixed(3), q3: +hi.toFixed(3) };
    cells.push(`${m.toFixed(2)} (${lo.toFixed(2)}-${hi.toFixed(2)})`.padStart(20));
  }
  console.log(`${id.padEnd(26)}${cells.join("")}`);
}
console.log(
  JSON.stringify({
    bench: "envs-paired-inprocess",
    node: process.version,
    rounds,
    ratio_b_over_a: out,
  }),
);

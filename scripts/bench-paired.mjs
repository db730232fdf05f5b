// Paired benchmark: runs one compiled benchmark of two builds alternately in one session (A, B,
// A, B, ...) and prints, for every number in the benchmarks' last-line JSON, the median of each
// build and the median ratio B/A of the pairs. Timings on a shared machine drift by 1.5x from
// minute to minute; alternating pairs cancel most of that.
// Usage: node scripts/bench-paired.mjs <build-A-dir> <build-B-dir> <bench> [--rounds N] [--node PATH]
//   where a build dir holds bench/out/build (run `npm run bench:<name>` or tsc -p tsconfig.bench.json
//   in each checkout first) and <bench> is cartpole, core, envs, ...
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";

const [dirA, dirB, bench] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(option("--rounds", "3"));
const node = option("--node", process.execPath);
if (!dirA || !dirB || !bench) {
  console.error(
    "usage: node scripts/bench-paired.mjs <build-A-dir> <build-B-dir> <bench> [--rounds N] [--node PATH]",
  );
  process.exit(2);
}

function runOnce(dir) {
  const out = execFileSync(node, [join(resolve(dir), "bench/out/build/bench", `${bench}.js`)], {
    cwd: resolve(dir),
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

function leaves(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "number") out[key] = v;
    else if (v && typeof v === "object" && !Array.isArray(v)) leaves(v, key, out);
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const a = [];
const b = [];
for (let r = 0; r < rounds; r++) {
  a.push(leaves(runOnce(dirA)));
  b.push(leaves(runOnce(dirB)));
}
const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
console.log(`bench:${bench} paired, ${rounds} rounds, node ${version}: A = ${dirA}, B = ${dirB}`);
console.log(
  `${"figure".padEnd(48)} ${"A median".padStart(12)} ${"B median".padStart(12)} ${"B/A".padStart(7)}  pairs' B/A min-max`,
);
const ratios = {};
const spreads = {};
for (const key of Object.keys(a[0])) {
  if (!b.every((x) => key in x)) continue;
  const pairs = a.map((x, i) => b[i][key] / x[key]);
  const ratio = median(pairs);
  ratios[key] = Number(ratio.toFixed(4));
  spreads[key] = [Math.min(...pairs), Math.max(...pairs)].map((r) => Number(r.toFixed(4)));
  const fmt = (v) => (Math.abs(v) >= 1000 ? v.toExponential(3) : v.toPrecision(4)).padStart(12);
  console.log(
    `${key.padEnd(48)} ${fmt(median(a.map((x) => x[key])))} ${fmt(median(b.map((x) => x[key])))} ${ratio.toFixed(3).padStart(7)}  ${spreads[key].map((r) => r.toFixed(2)).join("-")}`,
  );
}
console.log(
  JSON.stringify({
    bench: `${bench}-paired`,
    node: version,
    rounds,
    ratio_b_over_a: ratios,
    ratio_min_max: spreads,
  }),
);

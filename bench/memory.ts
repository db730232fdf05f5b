/**
 * `npm run bench:memory`: the resident memory of one long CLI run (issue #16). Trains CartPole-v1
 * for 5M env steps with `--no-stop` (the compiled CLI in a child process, as a user runs it),
 * samples the process's RSS (/proc/<pid>/status, VmRSS) every 0.5 s, and reports it at each tenth
 * of the budget. After warm-up (the first tenth: JIT, buffers sized to the longest batch so far,
 * the first checkpoints and evaluations) RSS must stay within 10% of its post-warm-up minimum: a
 * leak of even 100 bytes per update would show over 5M steps.
 *
 * Beside RSS, the table gives the training thread's JavaScript heap after its latest GC, live and
 * committed, read from the child's `--trace-gc` lines (only printed, so the run is the same): a
 * flat live heap under a stepping committed size is V8 growing a space, not a leak.
 *
 * Peer: the same run's RSS at the end of warm-up (a leak-free run stays near it). Linux only.
 * Usage: npm run bench:memory [-- <total steps>]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const STEPS = Number(process.argv[2] ?? 5_000_000);
// The package's own build (dist/), as installed: it finds package.json two levels up.
const MAIN = join(import.meta.dirname, "..", "..", "..", "..", "dist", "cli", "main.js");

function rssMB(pid: number): number | null {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const out = mkdtempSync(join(tmpdir(), "pg-bench-memory-"));
const t0 = performance.now();
const child = spawn(
  process.execPath,
  [
    "--trace-gc",
    MAIN,
    "train",
    "CartPole-v1",
    "--total-steps",
    String(STEPS),
    "--no-stop",
    "--out",
    join(out, "run"),
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const samples: { t: number; rss: number }[] = [];
/** Seconds at which each tenth of the budget was reported (plain progress lines). */
const tenths = new Map<number, number>();
/** Each isolate's GCs (by its address in --trace-gc lines): when seen, MB live and committed after. */
const gcs = new Map<string, { t: number; live: number; committed: number }[]>();
// e.g. "[123:0x7f01c8000f00]   5590 ms: Scavenge 13.4 (18.2) -> 9.9 (26.7) MB, ..."
const GC_LINE =
  /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: [^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/;
let pending = "";
child.stdout.on("data", (d) => {
  const t = (performance.now() - t0) / 1000;
  const lines = (pending + d).split("\n");
  pending = lines.pop()!;
  for (const line of lines) {
    const gc = GC_LINE.exec(line);
    if (gc) {
      const list = gcs.get(gc[1]) ?? [];
      list.push({ t, live: Number(gc[2]), committed: Number(gc[3]) });
      gcs.set(gc[1], list);
      continue;
    }
    const m = /^\s*(\d+)% /.exec(line);
    const pct = m ? Number(m[1]) : -1;
    if (pct % 10 === 0 && !tenths.has(pct)) tenths.set(pct, t);
  }
});
const timer = setInterval(() => {
  const r = rssMB(child.pid!);
  if (r !== null) samples.push({ t: (performance.now() - t0) / 1000, rss: r });
}, 500);
const code = await new Promise<number | null>((r) => child.once("close", r));
clearInterval(timer);
rmSync(out, { recursive: true, force: true });
if (code !== 0) throw new Error(`the run exited with ${code}`);

const warm = tenths.get(10) ?? samples[Math.floor(samples.length / 10)].t;
// Training only: after the last update the training thread ends and the final evaluation runs.
const end = tenths.get(100) ?? samples[samples.length - 1].t;
const after = samples.filter((s) => s.t >= warm && s.t <= end);
const min = Math.min(...after.map((s) => s.rss));
const max = Math.max(...after.map((s) => s.rss));
/** The latest sample at or before `t` (the one after the last update would be the final evaluation's). */
const at = (t: number) => samples.filter((s) => s.t <= t).at(-1) ?? samples[0];
// The training thread: the isolate that collected most often while training.
const during = (list: { t: number }[]) => list.filter((g) => g.t >= warm && g.t <= end).length;
const training = [...gcs.values()].reduce((a, b) => (during(b) > during(a) ? b : a), []);
const heapAt = (t: number) => {
  const last = training.filter((g) => g.t <= t).at(-1);
  return last
    ? `${last.live.toFixed(1).padStart(5)} / ${last.committed.toFixed(1).padStart(5)}`
    : "    - /     -";
};
console.log(`CartPole-v1, ${STEPS} env steps, --no-stop; RSS of the CLI process (MB)`);
console.log(
  "progress  seconds  RSS MB  training thread's JS heap after its last GC: live / committed MB",
);
for (const [pct, t] of [...tenths].sort((a, b) => a[0] - b[0])) {
  console.log(
    `${String(pct).padStart(7)}%  ${t.toFixed(1).padStart(7)}  ${at(t).rss.toFixed(1).padStart(6)}  ${heapAt(t)}`,
  );
}
const growth = max / min - 1;
console.log(
  `after warm-up (${warm.toFixed(1)} s) until the last update (${end.toFixed(1)} s): min ${min.toFixed(1)} MB, max ${max.toFixed(1)} MB, spread ${(growth * 100).toFixed(1)}% (limit 10%); peer: RSS at the end of warm-up ${at(warm).rss.toFixed(1)} MB, ratio max/peer ${(max / at(warm).rss).toFixed(3)}`,
);
console.log(
  JSON.stringify({
    steps: STEPS,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    rssWarmMB: Number(at(warm).rss.toFixed(1)),
    rssMinMB: Number(min.toFixed(1)),
    rssMaxMB: Number(max.toFixed(1)),
    spread: Number(growth.toFixed(4)),
    withinTenPercent: growth <= 0.1,
  }),
);

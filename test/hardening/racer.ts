// One of the two processes of concurrency.test.ts: runs `rounds` commands (train into, or resume
// of, <base>/r<i>), each started at the same moment as the other racer's (a barrier of files), up
// to `inflight` rounds at a time, and prints every round's exit code and stderr as one JSON line.
// Usage: node --import tsx racer.ts <id 0|1> <train|resume> <base> <rounds> <inflight>
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli } from "./helpers.ts";

const [id, mode, base, rounds, inflight] = process.argv.slice(2);
const TINY = [
  "--total-steps",
  "100",
  "--batch-episodes",
  "2",
  "--num-envs",
  "1",
  "--eval-every",
  "0",
];

async function round(i: number): Promise<{ round: number; code: number | null; stderr: string }> {
  writeFileSync(join(base, `ready-${i}-${id}`), "");
  const other = join(base, `ready-${i}-${1 - Number(id)}`);
  while (!existsSync(other)) await new Promise((r) => setTimeout(r, 1));
  const dir = join(base, `r${i}`);
  const argv =
    mode === "train"
      ? ["train", "CartPole-v1", ...TINY, "--out", dir, "--force"]
      : ["resume", dir, "--total-steps", "200"];
  const r = await cli(argv);
  return { round: i, code: r.code, stderr: r.stderr };
}

const results: Awaited<ReturnType<typeof round>>[] = [];
let next = 0;
async function lane(): Promise<void> {
  while (next < Number(rounds)) results.push(await round(next++));
}
await Promise.all(Array.from({ length: Number(inflight) }, lane));
process.stdout.write(`${JSON.stringify({ pid: process.pid, results })}\n`);

// Issue #16, "one writer per run directory", under real contention: two processes start a train
// into the same directory, or a resume of the same run, at the same moment, 20 times each. Every
// time exactly one owns the directory and finishes with whole files, and the other exits 2 naming
// it. (Two racer processes run all rounds, so the cost is two process starts, not eighty.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";
import { readMetrics } from "../../src/io/metrics.ts";
import { TSX } from "../cli/run-cli.ts";
import { cli } from "./helpers.ts";

const ROUNDS = 20;
const RACER = join(import.meta.dirname, "racer.ts");

interface Race {
  pid: number;
  results: { round: number; code: number | null; stderr: string }[];
}

async function race(mode: "train" | "resume", base: string): Promise<[Race, Race]> {
  const racers = [0, 1].map(
    (id) =>
      new Promise<Race>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ["--import", TSX, RACER, String(id), mode, base, String(ROUNDS), "4"],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
          out += d;
        });
        child.stderr.on("data", (d) => {
          err += d;
        });
        child.once("close", (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`racer ${id}: ${code} ${err}`)),
        );
      }),
  );
  return (await Promise.all(racers)) as [Race, Race];
}

/** Every round: one exit 0, one exit 2 naming the winner's pid; the winner's files are whole. */
function check(mode: string, base: string, [a, b]: [Race, Race], updatesFrom: number): void {
  for (let i = 0; i < ROUNDS; i++) {
    const ra = a.results.find((r) => r.round === i)!;
    const rb = b.results.find((r) => r.round === i)!;
    const codes = [ra.code, rb.code].sort();
    assert.deepEqual(codes, [0, 2], `${mode} round ${i}: ${ra.stderr} | ${rb.stderr}`);
    const [loser, winnerPid] = ra.code === 2 ? [ra, b.pid] : [rb, a.pid];
    assert.match(
      loser.stderr,
      new RegExp(
        `^policygrad: \\S+r${i} is in use: held by policygrad ${mode} \\(pid ${winnerPid} on `,
      ),
    );
    assert.equal(loser.stderr.trimEnd().split("\n").length, 1);
    const dir = join(base, `r${i}`);
    const { rows, tornLastLine } = readMetrics(join(dir, "metrics.jsonl"));
    assert.equal(tornLastLine, false);
    const updates = rows.filter((r) => r.evalReturnMean === undefined).map((r) => r.update);
    assert.deepEqual(
      updates,
      updates.map((_, k) => k + 1),
      `${mode} round ${i}: one writer's rows`,
    );
    assert.ok(updates.length > updatesFrom);
    assert.equal(loadCheckpoint(dir).info.update, updates.at(-1));
    JSON.parse(readFileSync(join(dir, "eval.json"), "utf8"));
    const left = readdirSync(dir, { recursive: true }).map(String);
    assert.ok(!left.some((f) => f.endsWith(".tmp") || f.includes(".lock")), left.join(", "));
  }
}

test(`two trains into one directory, ${ROUNDS} times: exactly one owns it, the other exits 2`, async () => {
  const base = mkdtempSync(join(tmpdir(), "pg-hard-race-train-"));
  check("train", base, await race("train", base), 0);
});

test(`two resumes of one run, ${ROUNDS} times: exactly one owns it, the other exits 2`, async () => {
  const base = mkdtempSync(join(tmpdir(), "pg-hard-race-resume-"));
  const seed = join(base, "seed-run");
  const r = await cli([
    "train",
    "CartPole-v1",
    "--total-steps",
    "100",
    "--batch-episodes",
    "2",
    "--num-envs",
    "1",
    "--eval-every",
    "0",
    "--out",
    seed,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const before = loadCheckpoint(seed).info.update;
  for (let i = 0; i < ROUNDS; i++) cpSync(seed, join(base, `r${i}`), { recursive: true });
  mkdirSync(join(base, "barrier"), { recursive: true });
  check("resume", base, await race("resume", base), before);
  assert.ok(existsSync(join(base, "r0", "eval.json")));
});

// Shared by the hardening suite (issue #16): the CLI in-process or in a child process, and the
// assertions every bad input must pass: its exit code, one line naming the problem, no stack trace.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cliInProcess } from "../cli/in-process.ts";
import { type CliResult, MAIN, TSX } from "../cli/run-cli.ts";

export type Result = CliResult;

/** Runs the CLI in this process (no child: fast) with captured, non-TTY output. */
export const cli = cliInProcess;

/** A child process running the CLI from its sources; `exited` resolves with its result. */
export function spawnCli(
  argv: string[],
  cwd: string,
): { child: ReturnType<typeof spawn>; exited: Promise<Result> } {
  const child = spawn(process.execPath, ["--import", TSX, MAIN, ...argv], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<Result>((resolve) =>
    child.once("close", (code, signal) =>
      resolve({ code: code ?? (signal ? -1 : null), stdout, stderr }),
    ),
  );
  return { child, exited };
}

/**
 * The refusal of a bad input: exit `code`, the first stderr line "policygrad: ..." matching
 * `message` (at most one more line: the usage), no stack trace, nothing on stdout.
 */
export function assertRefused(r: Result, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.ok(lines.length <= 2, `expected one line (and the usage), got:\n${r.stderr}`);
  assert.match(lines[0], /^policygrad: (?!policygrad:)/);
  assert.match(lines[0], message);
  if (lines.length === 2) assert.match(lines[1], /^usage: policygrad /);
  assert.ok(!/\n\s+at /.test(r.stderr), `stack trace in:\n${r.stderr}`);
  assert.ok(!/\.tmp\b/.test(r.stderr), `a temp file named in:\n${r.stderr}`);
}

/** Every file under `dir` with its bytes, to prove a refused command changed nothing. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, readFileSync(p).toString("base64"));
    }
  };
  walk(dir);
  return out;
}

// Metrics that depend on the clock: everything else must match exactly across a stop and resume.
export function withoutClock(
  rows: readonly Record<string, number | null>[],
): Record<string, number | null>[] {
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => !/time|persec|fps|sps/i.test(k))),
  );
}

/** Waits until `ready()` or `ms` pass (polling every 20 ms). */
export async function waitFor(ready: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error("waitFor: timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

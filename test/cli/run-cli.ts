// Runs the CLI from its TypeScript sources in a child process, as a user runs the binary
// (in-process.ts runs it in this process).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const MAIN = join(ROOT, "src", "cli", "main.ts");
// Absolute, so the children can run in any directory (where relative default paths land).
export const TSX = import.meta.resolve("tsx");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): CliResult {
  const r = spawnSync(process.execPath, ["--import", TSX, MAIN, ...args], {
    cwd,
    encoding: "utf8",
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

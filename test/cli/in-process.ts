// Runs the CLI in this process with captured output: fast, for the tests of messages and exit codes
// (run-cli.ts runs it in a child process, as a user does).
import { main } from "../../src/cli/program.ts";
import type { CliResult } from "./run-cli.ts";

/** Runs the CLI in this process (no child: fast) with captured, non-TTY output. */
export async function cliInProcess(argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: {
      isTTY: false,
      write: (s: string) => {
        stdout += s;
        return true;
      },
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
        return true;
      },
    },
  });
  return { code, stdout, stderr };
}

#!/usr/bin/env node
/**
 * The `policygrad` command line: a thin layer over the library.
 *
 * ```
 * policygrad train <env-id> [--algo reinforce] [--seed N] [--out DIR] [--total-steps N] [--force] [config flags]
 * policygrad resume <run-dir> [--total-steps N] [--env-module FILE | --allow-env-modules]
 * policygrad eval <run-dir|checkpoint> [--episodes N] [--seed S] [--deterministic] [--env-module FILE]
 * policygrad plot <run-dir>... [--out FILE.svg|FILE.png]
 * policygrad envs
 * ```
 *
 * Exit codes: 0 done, 1 failed (the message says why), 2 bad command line or a run directory in
 * use by another process, 130/143/129 stopped by SIGINT (Ctrl-C)/SIGTERM/SIGHUP and 141 stopped
 * because stdout was closed (each after saving a checkpoint).
 */
import { guardStream } from "./output.ts";
import { main } from "./program.ts";

// A closed pipe or terminal must not crash a run: output stops, the run saves (src/cli/output.ts).
process.exitCode = await main(process.argv.slice(2), {
  stdout: guardStream(process.stdout),
  stderr: guardStream(process.stderr),
});

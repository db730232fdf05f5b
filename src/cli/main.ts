#!/usr/bin/env node
/**
 * The `policygrad` command line: a thin layer over the library.
 *
 * ```
 * policygrad train <env-id> [--algo reinforce] [--seed N] [--out DIR] [--total-steps N] [--force] [config flags]
 * policygrad resume <run-dir> [--total-steps N]
 * policygrad eval <run-dir|checkpoint> [--episodes N] [--seed S] [--deterministic]
 * policygrad plot <run-dir>... [--out FILE.svg|FILE.png]
 * policygrad envs
 * ```
 *
 * Exit codes: 0 done, 1 failed (the message says why), 2 bad command line, 130 stopped by Ctrl-C
 * (after saving a checkpoint).
 */
import { main } from "./program.ts";

process.exitCode = await main(process.argv.slice(2));

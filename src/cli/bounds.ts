/**
 * Bounds checked before any work: a config whose memory cannot fit on this machine is a usage error
 * naming the flag that sizes it and the estimated size (issue #16 item 3).
 */
import { totalmem } from "node:os";
import type { MemoryNeed } from "../algos/memory.ts";
import type { AnyAlgorithm } from "../algos/trainer.ts";
import { make } from "../envs/registry.ts";
import { flatSize } from "../envs/spaces.ts";
import { flagOf, formatFlagValue, UsageError } from "./flags.ts";

/** `1.5e10` -> `14.0 GB`. */
export function formatBytes(n: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

/**
 * The first need (largest first) that makes the total exceed `limit`, as an error message; null if
 * everything fits.
 */
export function memoryProblem(
  needs: readonly MemoryNeed[],
  config: Readonly<Record<string, unknown>>,
  limit: number,
): string | null {
  const total = needs.reduce((a, n) => a + n.bytes, 0);
  if (total <= limit) return null;
  const worst = [...needs].sort((a, b) => b.bytes - a.bytes)[0];
  return `${flagOf(worst.field)} ${formatFlagValue(config[worst.field])}: ${worst.what} needs about ${formatBytes(worst.bytes)} of memory (the run in all ${formatBytes(total)}), more than this machine's ${formatBytes(limit)}`;
}

/** Throws a usage error when `config` cannot fit in this machine's memory. */
export function checkMemory(
  algo: AnyAlgorithm,
  config: Readonly<Record<string, unknown>>,
  envId: string,
  limit = totalmem(),
): void {
  if (algo.memoryNeeds === undefined) return;
  const env = make(envId);
  let needs: MemoryNeed[];
  try {
    needs = algo.memoryNeeds(config as never, {
      obsDim: flatSize(env.observationSpace),
      actDim: flatSize(env.actionSpace),
    });
  } finally {
    env.close();
  }
  const problem = memoryProblem(needs, config, limit);
  if (problem !== null) throw new UsageError(problem);
}

/** Builds the playground (web/) into a fresh directory, for the browser test and benchmark. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The repository root: the nearest directory above this file with web/vite.config.ts (also from bench/out/build/). */
function repoRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "web", "vite.config.ts"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no web/vite.config.ts above ${import.meta.dirname}`);
    dir = up;
  }
  return dir;
}

export const WEB_CONFIG = join(repoRoot(), "web", "vite.config.ts");

/** Runs `vite build` on web/ into a temp directory and returns it. */
export async function buildWeb(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "pg-web-"));
  const { build } = await import("vite");
  await build({
    configFile: WEB_CONFIG,
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

/** What the page's `window.playground.state()` returns (see web/main.ts). */
export interface PageState {
  status: string;
  kernels: string;
  envSteps: number;
  updates: number;
  episodes: number;
  stepsPerSecond: number;
  wallTimeS: number;
  returnMean100: number | null;
  solvedAtS: number | null;
  solvedAtSteps: number | null;
  frames: number;
  evaluated: null | { returnMean: number; returns: number[]; episodes: number; seed: number };
  opened: null | { name: string; envId: string; envSteps: number };
  errors: string[];
}

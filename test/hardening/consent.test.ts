// Class 5 of issue #16: no code runs by surprise. eval and resume import the env module a run's
// config.json lists only when it is given again (--env-module, which also finds a module that
// moved) or allowed (--allow-env-modules); a module inside the run directory is recorded relative
// to it. Runs are made here with the library, so no module is imported before a test asks.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { reinforce } from "../../src/algos/reinforce.ts";
import { recordedModuleAbs, recordedModulePath } from "../../src/cli/env-modules.ts";
import { packageVersion, RUN_FILES, writeRunConfig } from "../../src/cli/run-dir.ts";
import { box, describe, discrete } from "../../src/envs/spaces.ts";
import type { Env } from "../../src/envs/types.ts";
import { saveCheckpoint } from "../../src/io/checkpoint.ts";
import { ROOT } from "../cli/run-cli.ts";
import { assertRefused, cli, snapshot } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-hard-consent-"));
const INDEX = pathToFileURL(join(ROOT, "src", "index.ts")).href;
const imports = () => (globalThis as { __pgImports?: Record<string, number> }).__pgImports ?? {};

/** Steps right to the end of a line of 4 cells (reward 1 there); `obs` numbers per observation. */
function walk(id: string, obs = 1): Env {
  let x = 0;
  return {
    id,
    observationSpace: box(0, 1, [obs]),
    actionSpace: discrete(2),
    reset: () => {
      x = 0;
      return { observation: new Float64Array(obs), info: {} };
    },
    step: (a) => {
      x = Math.max(0, x + (a === 1 ? 1 : -1));
      const o = new Float64Array(obs).fill(x / 3);
      return {
        observation: o,
        reward: x === 3 ? 1 : 0,
        terminated: x === 3,
        truncated: false,
        info: {},
      };
    },
    close() {},
  };
}

/** A module registering `id` (observations of `obs` numbers) that counts its imports. */
function writeModule(path: string, id: string, obs = 1): string {
  writeFileSync(
    path,
    `import { box, discrete, register } from ${JSON.stringify(INDEX)};
const g = globalThis; g.__pgImports ??= {}; g.__pgImports[${JSON.stringify(id)}] = (g.__pgImports[${JSON.stringify(id)}] ?? 0) + 1;
register(${JSON.stringify(id)}, () => {
  let x = 0;
  return {
    id: ${JSON.stringify(id)}, observationSpace: box(0, 1, [${obs}]), actionSpace: discrete(2), maxEpisodeSteps: 20,
    reset() { x = 0; return { observation: new Float64Array(${obs}), info: {} }; },
    step(a) { x = Math.max(0, x + (a === 1 ? 1 : -1)); return { observation: new Float64Array(${obs}).fill(x / 3), reward: x === 3 ? 1 : 0, terminated: x === 3, truncated: false, info: {} }; },
    close() {},
  };
}, { maxEpisodeSteps: 20 });
`,
  );
  return path;
}

/** A run directory of `id` (trained here with the library) that lists `module`. */
function makeRun(dir: string, id: string, module: string): void {
  const r = reinforce(
    () => walk(id),
    { seed: 0, totalSteps: 60, numEnvs: 1, batchEpisodes: 2 },
    { onWarning: () => {} },
  );
  const s = r.checkpoint.state;
  saveCheckpoint(join(dir, RUN_FILES.checkpoints), r.checkpoint, {
    algo: "reinforce",
    envId: id,
    update: s.update,
    envSteps: s.envSteps,
  });
  writeRunConfig(dir, {
    policygrad: packageVersion(),
    algo: "reinforce",
    envId: id,
    config: s.config as unknown as Record<string, unknown>,
    envModules: [module],
    envSpaces: { observation: describe(box(0, 1, [1])), action: describe(discrete(2)) },
    createdAt: "",
    command: ["policygrad", "train", id, "--env-module", module],
  });
  writeFileSync(join(dir, RUN_FILES.marker), "{}\n");
}

const CONSENT =
  /"(\w+-v0)", which is not a built-in env; its config\.json lists \S+ to register it, and policygrad imports \(runs\) no code it was not asked to: pass --env-module <file> .* or --allow-env-modules/;

test("eval and resume of someone else's run refuse to import its module without consent (exit 2)", async () => {
  const dir = join(tmp, "a");
  mkdirSync(dir);
  const mod = writeModule(join(tmp, "a.mts"), "ConsentA-v0");
  makeRun(dir, "ConsentA-v0", mod);
  const before = snapshot(dir);
  assertRefused(await cli(["eval", dir]), 2, CONSENT);
  const ckpt = join(
    dir,
    "checkpoints",
    JSON.parse(readFileSync(join(dir, "checkpoints", "latest.json"), "utf8")).checkpoint,
  );
  assertRefused(await cli(["eval", ckpt]), 2, CONSENT);
  assertRefused(await cli(["resume", dir, "--total-steps", "200"]), 2, CONSENT);
  assert.equal(imports()["ConsentA-v0"], undefined, "the module never ran");
  assert.deepEqual(snapshot(dir), before, "nothing changed");
  // Allowed explicitly: imported once, and eval runs.
  const r = await cli(["eval", dir, "--allow-env-modules", "--episodes", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(imports()["ConsentA-v0"], 1);
});

test("a module that moved: given again with --env-module, eval and resume work and the run records it", async () => {
  const dir = join(tmp, "b");
  mkdirSync(dir);
  const old = writeModule(join(tmp, "b-old.mts"), "ConsentB-v0");
  makeRun(dir, "ConsentB-v0", old);
  const moved = join(tmp, "b-new.mts");
  renameSync(old, moved);
  assertRefused(
    await cli(["eval", dir, "--allow-env-modules"]),
    2,
    /--env-module "\S+b-old\.mts": no such file/,
  );
  const e = await cli(["eval", dir, "--env-module", moved, "--episodes", "2"]);
  assert.equal(e.code, 0, e.stderr);
  const r = await cli(["resume", dir, "--env-module", moved, "--total-steps", "120"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).envModules, [moved]);
});

test("a run resumed with a different env of the same id says so, not a weight-shape mismatch", async () => {
  const dir = join(tmp, "c");
  mkdirSync(dir);
  makeRun(dir, "ConsentC-v0", join(tmp, "c-gone.mts"));
  const other = writeModule(join(tmp, "c-other.mts"), "ConsentC-v0", 3);
  const before = snapshot(dir);
  for (const cmd of [
    ["resume", dir, "--total-steps", "200"],
    ["eval", dir],
  ]) {
    assertRefused(
      await cli([...cmd, "--env-module", other]),
      1,
      /was trained on a different "ConsentC-v0": observation space Box\(0, 1, \[1\]\), action space Discrete\(2\); the "ConsentC-v0" registered now has Box\(0, 1, \[3\]\)/,
    );
  }
  assert.deepEqual(snapshot(dir), before);
});

test("a module inside the run directory is recorded relative to it, so the directory can move", () => {
  const run = join(tmp, "runs", "r1");
  assert.equal(recordedModulePath(run, join(run, "envs", "walk.mjs")), "envs/walk.mjs");
  assert.equal(recordedModulePath(run, join(tmp, "walk.mjs")), join(tmp, "walk.mjs"));
  assert.equal(
    recordedModulePath(run, join(tmp, "runs", "r10", "walk.mjs")),
    join(tmp, "runs", "r10", "walk.mjs"),
  );
  const movedRun = join(tmp, "elsewhere", "r1");
  assert.equal(recordedModuleAbs(movedRun, "envs/walk.mjs"), join(movedRun, "envs", "walk.mjs"));
  assert.equal(recordedModuleAbs(movedRun, join(tmp, "walk.mjs")), join(tmp, "walk.mjs"));
});

test("train records a module inside its --out relative to it", async () => {
  const dir = join(tmp, "d");
  mkdirSync(dir);
  const mod = writeModule(join(dir, "env.mts"), "ConsentD-v0");
  const r = await cli([
    "train",
    "ConsentD-v0",
    "--env-module",
    mod,
    "--total-steps",
    "60",
    "--out",
    dir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).envModules, [
    "env.mts",
  ]);
});

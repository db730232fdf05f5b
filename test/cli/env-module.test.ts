// Custom environments on the command line: `--env-module` imports a user's module that calls
// register(); the run records it, and resume and eval import it again with consent. A run that hits NaN
// midway stops with one line and leaves its last good checkpoint loadable.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";
import { readMetrics } from "../../src/io/metrics.ts";
import { ROOT, runCli } from "./run-cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-env-module-"));
const INDEX = pathToFileURL(join(ROOT, "src", "index.ts")).href;

// Walk-v0: step right (1) or left (0) on a line of 6 cells; the right end pays 1 and ends the
// episode. NanAfter-v0: the same, but every reward is NaN once this thread has taken `limit` steps.
writeFileSync(
  join(tmp, "walk-env.mts"),
  `import { box, discrete, register } from ${JSON.stringify(INDEX)};
let taken = 0;
class Walk {
  readonly observationSpace = box(0, 1, [1]);
  readonly actionSpace = discrete(2);
  readonly maxEpisodeSteps = 30;
  private x = 0;
  private t = 0;
  constructor(readonly id: string, private readonly limit: number) {}
  reset() {
    this.x = 0;
    this.t = 0;
    return { observation: Float64Array.of(0), info: {} };
  }
  step(action: number) {
    if (action !== 0 && action !== 1) throw new RangeError(this.id + ": bad action " + action);
    this.x = Math.max(0, this.x + (action === 1 ? 1 : -1));
    this.t++;
    taken++;
    const terminated = this.x === 5;
    const reward = taken > this.limit ? Number.NaN : terminated ? 1 : 0;
    return { observation: Float64Array.of(this.x / 5), reward, terminated, truncated: !terminated && this.t >= 30, info: {} };
  }
  close() {}
}
register("Walk-v0", () => new Walk("Walk-v0", Infinity), { maxEpisodeSteps: 30 });
register("NanAfter-v0", () => new Walk("NanAfter-v0", 3000), { maxEpisodeSteps: 30 });
`,
);
const MODULE = join(tmp, "walk-env.mts");

test("train, resume and eval a custom env registered by --env-module", () => {
  const dir = join(tmp, "walk");
  const base = ["--env-module", MODULE, "--seed", "2", "--out", dir];
  let r = runCli(["train", "Walk-v0", "--total-steps", "1500", ...base], tmp);
  assert.equal(r.code, 0, r.stderr);
  const rc = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  assert.deepEqual(rc.envModules, [MODULE]);
  // The run's module is imported again only with consent: refused without a flag (exit 2)...
  r = runCli(["resume", dir, "--total-steps", "3000"], tmp);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a built-in env.*pass --env-module <file>.*or --allow-env-modules/);
  r = runCli(["resume", dir, "--total-steps", "3000", "--allow-env-modules"], tmp);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(loadCheckpoint(dir).info.envSteps >= 3000);
  r = runCli(["eval", dir, "--episodes", "3", "--env-module", MODULE], tmp);
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(last.episodes, 3);
  assert.ok(Number.isFinite(last.return_mean));
});

test("--env-module errors: a missing file is a usage error; an unknown id lists the module's envs", () => {
  let r = runCli(["train", "Walk-v0", "--env-module", join(tmp, "nope.ts")], tmp);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^policygrad: --env-module "\S*nope\.ts": no such file/);
  r = runCli(["train", "Walk-v9", "--env-module", MODULE, "--out", join(tmp, "x")], tmp);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown environment "Walk-v9"; known environments: .*Walk-v0/);
});

test("NaN midway stops training in one line and the last good checkpoint still loads", () => {
  const dir = join(tmp, "nan");
  const r = runCli(
    ["train", "NanAfter-v0", "--env-module", MODULE, "--checkpoint-every", "1", "--out", dir],
    tmp,
  );
  assert.equal(r.code, 1, r.stdout);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^policygrad: training failed: .*(NaN|non-finite).*the last good checkpoint is \S+ckpt-\d+/,
  );
  const ckpt = loadCheckpoint(dir);
  assert.ok(ckpt.info.update >= 1 && ckpt.info.envSteps <= 3000, JSON.stringify(ckpt.info));
  for (const t of Object.values(ckpt.params)) assert.ok(t.data.every(Number.isFinite));
  const rows = readMetrics(join(dir, "metrics.jsonl")).rows;
  assert.ok(rows.length >= ckpt.info.update);
  assert.ok(existsSync(join(dir, "config.json")));
  // A fresh process counts steps from 0 again, so the saved policy evaluates cleanly.
  const e = runCli(["eval", dir, "--episodes", "2", "--allow-env-modules"], tmp);
  assert.equal(e.code, 0, e.stderr);
  assert.ok(Number.isFinite(JSON.parse(e.stdout.trim().split("\n").at(-1)!).return_mean));
});

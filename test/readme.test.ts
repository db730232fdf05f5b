// The README's TypeScript examples are part of the API: each block that imports from "policygrad"
// runs here against the source (the package root, src/index.ts), so a renamed export or a changed
// signature breaks a test instead of a reader's first try.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { reinforce } from "../src/algos/reinforce.ts";
import { saveCheckpoint } from "../src/io/checkpoint.ts";

const ROOT = join(import.meta.dirname, "..");
const INDEX = pathToFileURL(join(ROOT, "src", "index.ts")).href;
const NODE = pathToFileURL(join(ROOT, "src", "node.ts")).href;
const TSX = import.meta.resolve("tsx");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1])
  .filter((code) => code.includes('from "policygrad"'));
const tmp = mkdtempSync(join(tmpdir(), "pg-readme-"));

// A small run directory's checkpoint, passed to each example as its first argument (the examples
// that load a run read it from process.argv[2]).
const runDir = join(tmp, "run");
const { checkpoint } = reinforce("CartPole-v1", { seed: 0, totalSteps: 2_000 });
saveCheckpoint(join(runDir, "checkpoints"), checkpoint, {
  algo: "reinforce",
  envId: "CartPole-v1",
  update: checkpoint.state.update,
  envSteps: checkpoint.state.envSteps,
});

test("the README has library examples", () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length} ts blocks importing "policygrad"`);
});

blocks.forEach((code, i) => {
  const firstLine = code.split("\n").find((l) => l.startsWith("//") || l.startsWith("/**")) ?? "";
  test(`README example ${i + 1} runs: ${firstLine.slice(0, 70)}`, () => {
    const file = join(tmp, `example-${i + 1}.ts`);
    const source = code
      .replaceAll('from "policygrad"', `from ${JSON.stringify(INDEX)}`)
      .replaceAll('from "policygrad/node"', `from ${JSON.stringify(NODE)}`);
    writeFileSync(file, source);
    const r = spawnSync(process.execPath, ["--import", TSX, file, runDir], { encoding: "utf8" });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /NaN|undefined/, r.stdout);
  });
});

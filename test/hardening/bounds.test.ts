// Class 3 of issue #16: bounds before work. Integers past 2^53, configs that cannot fit in memory
// and budgets that would run for days are refused up front (exit 2, naming the flag; the memory
// message gives the estimated size), or show progress from the first second.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { reinforceMemoryNeeds } from "../../src/algos/memory.ts";
import { resolveReinforceConfig } from "../../src/algos/reinforce-config.ts";
import { formatBytes, memoryProblem } from "../../src/cli/bounds.ts";
import { Progress } from "../../src/cli/progress.ts";
import { assertRefused, cli } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-hard-bounds-"));
const SAFE = /at most 2\^53 - 1 \(larger integers are not exact in a double\)/;

const CASES: [string, string[], RegExp][] = [
  [
    "a seed of 1e300",
    ["--seed", "1e300"],
    new RegExp(`invalid value "1e300" for --seed: .*${SAFE.source}`),
  ],
  ["a seed of 2^53 + 1", ["--seed", "9007199254740993"], /for --seed: .*at most 2\^53 - 1/],
  ["--total-steps 1e20", ["--total-steps", "1e20"], /for --total-steps: .*at most 2\^53 - 1/],
  [
    "a hidden size past 2^53",
    ["--hidden-sizes", "64,1e16"],
    /for --hidden-sizes: .*at most 2\^53 - 1/,
  ],
  [
    "--checkpoint-every 1e300",
    ["--checkpoint-every", "1e300"],
    /for --checkpoint-every: .*at most 2\^53 - 1/,
  ],
  [
    "a network that cannot fit",
    ["--hidden-sizes", "100000,100000,100000"],
    /^policygrad: --hidden-sizes 100000,100000,100000: a policy of 2\.00e\+10 parameters needs about \d+\.\d GB of memory .*more than this machine's/,
  ],
  [
    "--batch-episodes 1e9",
    ["--batch-episodes", "1e9"],
    /^policygrad: --batch-episodes 1000000000: a batch of at least 1\.00e\+9 steps needs about \d+\.\d (GB|TB)/,
  ],
  [
    "--num-envs 1e10",
    ["--num-envs", "1e10"],
    /^policygrad: --num-envs 10000000000: 10000000000 sub-envs needs about/,
  ],
  [
    "a steps-mode batch that cannot fit",
    ["--batch-mode", "steps", "--rollout-steps", "100000000", "--num-envs", "64"],
    /^policygrad: --rollout-steps 100000000: a batch of at least 6\.40e\+9 steps needs about/,
  ],
];

for (const [what, flags, message] of CASES) {
  test(`train refuses ${what} before any work (exit 2, names the flag)`, async () => {
    const out = join(tmp, what.replace(/\W+/g, "-"));
    assertRefused(await cli(["train", "CartPole-v1", ...flags, "--out", out]), 2, message);
    assert.ok(!existsSync(out), "no run directory");
  });
}

test("eval refuses --episodes 1e12 and a seed past 2^53", async () => {
  assertRefused(
    await cli(["eval", tmp, "--episodes", "1e12"]),
    2,
    /invalid value "1e12" for --episodes: expected an integer >= 1 and <= 100000/,
  );
  assertRefused(await cli(["eval", tmp, "--seed", "1e300"]), 2, /for --seed: .*at most 2\^53 - 1/);
});

test("resume refuses --total-steps 1e20", async () => {
  assertRefused(
    await cli(["resume", tmp, "--total-steps", "1e20"]),
    2,
    /for --total-steps: .*2\^53/,
  );
});

test("the memory estimate: a default config fits easily, and sizes scale as they should", () => {
  const cfg = resolveReinforceConfig({});
  const needs = reinforceMemoryNeeds(cfg, { obsDim: 4, actDim: 1 });
  const total = needs.reduce((a, n) => a + n.bytes, 0);
  assert.ok(total < 1e6, `defaults need ${formatBytes(total)}`);
  assert.equal(memoryProblem(needs, cfg as never, 8 * 2 ** 30), null);
  const big = reinforceMemoryNeeds(resolveReinforceConfig({ batchEpisodes: 1000 }), {
    obsDim: 4,
    actDim: 1,
  });
  const batch = (n: typeof needs) => n.find((x) => x.field === "batchEpisodes")!.bytes;
  assert.equal(batch(big), (batch(needs) * 1000) / cfg.batchEpisodes);
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(3 * 2 ** 30), "3.0 GB");
});

test("plain progress of a budget that would take long shows a line after the first second", () => {
  const out: string[] = [];
  let t = 0;
  const p = new Progress({ isTTY: false, write: (s) => out.push(s) > 0 }, 1e15, 0, () => t);
  t = 0.5;
  p.update({ envSteps: 1000, episodes: 10, returnMean: 20 });
  assert.equal(out.length, 0, "not before a second");
  t = 1.2;
  p.update({ envSteps: 2400, episodes: 20, returnMean: 21 });
  assert.equal(out.length, 1);
  assert.match(out[0], /^ {2}0% 2400\/1000000000.00M steps .* ETA \d+h/);
  t = 30;
  p.update({ envSteps: 60000, episodes: 30, returnMean: 22 });
  assert.equal(out.length, 1, "then once a minute");
  t = 62;
  p.update({ envSteps: 120000, episodes: 40, returnMean: 23 });
  assert.equal(out.length, 2);
});

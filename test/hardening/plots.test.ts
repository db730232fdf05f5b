// Class 7 of issue #16: plots a person reads right. The +-std band stays inside the returns the
// runs had (CartPole cannot pass 500); the legend sits below the axes, never over the curves, and
// the picture is wide enough for every label; the evaluation curve is drawn beside the batch mean
// when the run has evaluation rows; a run named twice is one run, not two seeds.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { plotRuns } from "../../src/cli/commands.ts";
import { aggregate, renderSvg } from "../../src/io/plot.ts";
import { cli } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "pg-hard-plots-"));

test("the std band of returns [500, 500, 20] stays within [20, 500]", () => {
  const flat = (v: number) => ({ steps: [0, 100], values: [v, v] });
  const a = aggregate({ label: "s", runs: [flat(500), flat(500), flat(20)] }, 3, "std");
  for (let i = 0; i < a.steps.length; i++) {
    assert.equal(a.mean[i], 340);
    assert.equal(a.hi[i], 500, "mean + std = 566 is clipped to the largest return");
    assert.ok(Math.abs(a.lo[i] - (340 - Math.sqrt(51200))) < 1e-9, "mean - std = 113.7 is inside");
  }
  const b = aggregate({ label: "s", runs: [flat(0), flat(0), flat(90)] }, 2, "std");
  assert.equal(b.lo[0], 0, "and at the bottom");
});

test("the legend is below the plot area, and the picture grows to hold the longest label", () => {
  const label = `lr=0.003 hidden-sizes=64,64 entropy-coef=0.01 ${"x".repeat(120)}`;
  const svg = renderSvg(
    [
      { label, runs: [{ steps: [0, 10], values: [1, 2] }] },
      { label: "short", runs: [{ steps: [0, 10], values: [2, 3] }] },
    ],
    { title: "t", threshold: { value: 3, label: "reward threshold 3" } },
  );
  const [, w, h] = svg.match(/<svg [^>]*width="(\d+)" height="(\d+)"/)!.map(Number);
  const area = svg
    .match(/<clipPath id="plot-area"><rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/)!
    .map(Number);
  const bottom = area[2] + area[4];
  const texts = [
    ...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" font-size="12" fill="#222">([^<]*)<\/text>/g),
  ];
  assert.equal(texts.length, 3, "three legend entries");
  for (const [, x, y, text] of texts) {
    assert.ok(
      Number(y) > bottom + 40,
      `legend entry "${text.slice(0, 20)}" at y=${y} is below the axes (${bottom})`,
    );
    assert.ok(Number(y) < h, "and inside the picture");
    assert.ok(Number(x) + 7.5 * text.length <= w, `"${text.slice(0, 20)}..." fits in width ${w}`);
  }
  assert.ok(w > 800, "widened for the long label");
});

// One run serves both tests below (each CLI run costs a second of the suite).
let trained = "";
async function runWithEvals(): Promise<string> {
  if (trained === "") {
    trained = join(tmp, "with-evals");
    const r = await cli([
      "train",
      "CartPole-v1",
      "--total-steps",
      "1500",
      "--seed",
      "2",
      "--eval-every",
      "300",
      "--eval-episodes",
      "2",
      "--no-stop",
      "--out",
      trained,
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  return trained;
}

test("a run named twice (as ./dir, dir/ or an absolute path) is plotted once, not as two seeds", async () => {
  const dir = await runWithEvals();
  const out = join(tmp, "once.svg");
  await plotRuns([dir, `${dir}/`, relative(process.cwd(), dir)], out);
  const svg = readFileSync(out, "utf8");
  assert.match(svg, /reinforce \(seed 2\)/);
  assert.doesNotMatch(svg, /mean of \d seeds/);
  assert.equal((svg.match(/<polygon /g) ?? []).length, 0, "no band");
});

test("the evaluation curve is drawn beside the batch mean when the run has evaluation rows", async () => {
  const dir = await runWithEvals();
  const rows = readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(
    rows.some((x) => typeof x.evalReturnMean === "number"),
    "the run logged evaluations",
  );
  const svg = readFileSync(join(dir, "learning-curve.svg"), "utf8");
  assert.match(svg, />reinforce \(seed 2\)<\/text>/, "the batch mean");
  assert.match(
    svg,
    />reinforce \(seed 2\): evaluation \(deterministic\)<\/text>/,
    "the evaluation curve",
  );
  assert.ok(
    (svg.match(/<path d="M[^"]*" fill="none"[^>]*stroke-dasharray/g) ?? []).length >= 1,
    "drawn dotted",
  );
});

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  aggregate,
  formatTick,
  interpolate,
  niceTicks,
  renderSvg,
  svgToPng,
  writePlot,
} from "../../src/io/plot.ts";

test("interpolate is linear inside and clamps outside", () => {
  const out = interpolate([0, 10, 20], [0, 100, 50], [-5, 0, 5, 10, 15, 20, 25]);
  assert.deepEqual(Array.from(out), [0, 0, 50, 100, 75, 50, 50]);
  assert.throws(() => interpolate([], [], [1]), /non-zero lengths/);
});

test("aggregate: mean and min-max band of runs logged at different steps, on the common range", () => {
  const a = { steps: [0, 10, 20, 30], values: [0, 10, 20, 30] }; // y = x
  const b = { steps: [5, 25], values: [15, 35] }; // y = x + 10
  const agg = aggregate({ label: "s", runs: [a, b] }, 5);
  assert.deepEqual(Array.from(agg.steps), [5, 10, 15, 20, 25]);
  // mean of x and x + 10 is x + 5; band [x, x + 10]; exact in binary for these values
  assert.deepEqual(Array.from(agg.mean), [10, 15, 20, 25, 30]);
  assert.deepEqual(Array.from(agg.lo), [5, 10, 15, 20, 25]);
  assert.deepEqual(Array.from(agg.hi), [15, 20, 25, 30, 35]);
  assert.equal(agg.runs, 2);
  const sd = aggregate({ label: "s", runs: [a, b] }, 2, "std");
  // two values x and x + 10: population std 5
  assert.deepEqual(
    Array.from(sd.hi).map((h, i) => h - sd.mean[i]),
    [5, 5],
  );
});

test("aggregate: a single run keeps its own points and skips nulls; bad input throws", () => {
  const agg = aggregate({ label: "s", runs: [{ steps: [1, 2, 3], values: [5, null, 7] }] });
  assert.deepEqual(Array.from(agg.steps), [1, 3]);
  assert.deepEqual(Array.from(agg.mean), [5, 7]);
  assert.throws(
    () => aggregate({ label: "s", runs: [{ steps: [2, 1], values: [0, 0] }] }),
    /ascending/,
  );
  assert.equal(aggregate({ label: "s", runs: [] }).runs, 0);
});

test("niceTicks: round steps of 1, 2 or 5 covering the range", () => {
  assert.deepEqual(niceTicks(0, 500), [0, 100, 200, 300, 400, 500]);
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-1530, -120), [-2000, -1500, -1000, -500, 0]);
  assert.deepEqual(niceTicks(0, 97_000), [0, 20_000, 40_000, 60_000, 80_000, 100_000]);
  const t = niceTicks(3, 3);
  assert.ok(t[0] < 3 && t[t.length - 1] > 3);
  assert.equal(formatTick(25_000), "25k");
  assert.equal(formatTick(1_500_000), "1.5M");
  assert.equal(formatTick(0.2), "0.2");
  assert.equal(formatTick(-500), "-500");
  assert.equal(formatTick(5000, 20_000), "5k"); // one unit per axis
});

test("renderSvg: title, axis labels, ticks, legend entries, one band per multi-seed series, escaping", () => {
  const svg = renderSvg(
    [
      {
        label: "lr=0.01 <a&b>",
        runs: [
          { steps: [0, 100], values: [10, 200] },
          { steps: [0, 100], values: [20, 300] },
        ],
      },
      { label: "single", runs: [{ steps: [0, 50, 100], values: [5, 6, 7] }] },
    ],
    { title: "CartPole-v1", threshold: { value: 475, label: "solved (475)" } },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, />CartPole-v1</);
  assert.match(svg, />environment steps</);
  assert.match(svg, />episode return</);
  assert.match(svg, /lr=0\.01 &lt;a&amp;b&gt; \(mean of 2 seeds, min-max band\)/);
  assert.match(svg, />single</);
  assert.match(svg, />solved \(475\)</);
  assert.equal((svg.match(/<polygon /g) ?? []).length, 1);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  // The y axis reaches the threshold (above every data value): its dashed line lies inside the plot area.
  const y = Number(/<line x1="72" y1="([\d.]+)"[^>]*stroke-dasharray/.exec(svg)?.[1]);
  assert.ok(y > 48 && y < 500 - 56, `threshold line at y=${y}`);
  assert.ok(!svg.includes("NaN"));
});

test("PNG rendering via resvg produces a PNG of the requested width", async () => {
  const svg = renderSvg([{ label: "a", runs: [{ steps: [0, 1000], values: [0, 1] }] }], {
    title: "t",
  });
  const png = await svgToPng(svg, 400);
  assert.deepEqual(
    Array.from(png.subarray(0, 8)),
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  );
  // IHDR width, big-endian at byte 16
  assert.equal(Buffer.from(png).readUInt32BE(16), 400);
  const dir = mkdtempSync(join(tmpdir(), "pg-plot-"));
  await writePlot(join(dir, "p.svg"), [{ label: "a", runs: [{ steps: [0, 1], values: [0, 1] }] }], {
    title: "t",
  });
  assert.match(readFileSync(join(dir, "p.svg"), "utf8"), /<svg/);
  await assert.rejects(
    writePlot(join(dir, "p.jpg"), [], { title: "t" }),
    /must end in \.svg or \.png/,
  );
});

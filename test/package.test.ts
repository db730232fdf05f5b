// The package as a user installs it: `tsc` builds src/ into dist/, and `import "policygrad"`
// resolves through package.json's exports map to the built root module. Built into a temporary
// copy of the package, so the repository's own dist/ is left alone.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

test("the built package exports the public API from its root and runs its bin", () => {
  const dir = mkdtempSync(join(tmpdir(), "pg-package-"));
  execFileSync(process.execPath, [
    TSC,
    "-p",
    join(ROOT, "tsconfig.build.json"),
    "--outDir",
    join(dir, "dist"),
  ]);
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");

  // A package may import itself by name: this is exactly the resolution a dependent sees.
  const script = `
    const m = await import("policygrad");
    const io = await import("policygrad/node");
    const names = ["reinforce", "evaluate", "make", "register", "makeVec", "checkEnv", "Rng",
      "valueAndGrad", "mlp", "adam", "finiteMdp", "reinforcePolicy", "TimeLimit",
      "NormalizeObservation", "categoricalLogProb", "VANILLA"];
    const ioNames = ["saveCheckpoint", "loadCheckpoint", "readMetrics", "writePlot",
      "encodeSafetensors", "decodeSafetensors"];
    const missing = [...names.filter((n) => m[n] === undefined),
      ...ioNames.filter((n) => io[n] === undefined).map((n) => "policygrad/node: " + n)];
    if (m.loadCheckpoint !== undefined) throw new Error("the root must not export Node file code");
    if (missing.length) throw new Error("missing exports: " + missing.join(", "));
    const env = m.make("CartPole-v1");
    const { observation } = env.reset({ seed: 0 });
    console.log(JSON.stringify({ obsLength: observation.length, actions: env.actionSpace.n }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { obsLength: 4, actions: 2 });

  for (const [name, path] of Object.entries(pkg.bin as Record<string, string>)) {
    const bin = spawnSync(process.execPath, [join(dir, path), "envs"], { encoding: "utf8" });
    assert.equal(bin.status, 0, `${name}: ${bin.stderr}`);
    assert.match(bin.stdout, /CartPole-v1/);
  }
  assert.ok(pkg.files.includes("dist"), "package.json files must ship dist/");
  assert.equal(pkg.exports["."].import, "./dist/index.js");
  assert.equal(pkg.exports["."].types, "./dist/index.d.ts");
  for (const entry of [".", "./node"]) {
    for (const f of [pkg.exports[entry].import, pkg.exports[entry].types]) {
      assert.ok(existsSync(join(dir, f)), `${entry}: the build emits ${f}`);
    }
  }
});

// The package root must run in a browser: nothing it imports, directly or through other modules,
// may use Node's built-in modules or a package at all (the root has no runtime dependencies).
// Node-only code lives behind `policygrad/node` and the CLI.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";

const SRC = join(import.meta.dirname, "..", "src");
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Every module reachable from `entry`, with the bare (non-relative) specifiers each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const bare: string[] = [];
    graph.set(file, bare);
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec));
      else bare.push(spec);
    }
  }
  return graph;
}

test("the package root imports no Node built-in and no package, transitively", () => {
  const graph = importGraph(join(SRC, "index.ts"));
  assert.ok(graph.size > 30, `only ${graph.size} modules reached: is the import scan broken?`);
  assert.ok(graph.has(join(SRC, "algos", "reinforce.ts")));
  const offenders = [...graph].filter(([, bare]) => bare.length > 0);
  assert.deepEqual(
    offenders.map(([f, bare]) => `${f.slice(SRC.length + 1)}: ${bare.join(", ")}`),
    [],
  );
});

test("the scan does see Node imports where they are (policygrad/node)", () => {
  const graph = importGraph(join(SRC, "node.ts"));
  const bare = [...graph.values()].flat();
  assert.ok(bare.includes("node:fs"), bare.join(", "));
});

test("the web playground imports only the package's public API (and its chart library)", () => {
  const WEB = join(import.meta.dirname, "..", "web");
  const files = readdirSync(WEB).filter((f) => f.endsWith(".ts") && f !== "vite.config.ts");
  assert.ok(files.includes("worker.ts") && files.includes("main.ts"), files.join(", "));
  const bad: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(WEB, f), "utf8");
    const sideEffects = /(?:^|\n)\s*import\s*["']([^"']+)["']/g;
    for (const m of [...text.matchAll(IMPORT), ...text.matchAll(sideEffects)]) {
      const spec = m[1] ?? m[2];
      const ok = spec === "policygrad" || spec.startsWith("uplot") || /^\.\/[\w-]+\.ts$/.test(spec);
      if (!ok) bad.push(`${f}: ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

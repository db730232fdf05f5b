// The README's examples compile: every ```ts block is typechecked against the sources as a user
// imports them ("policygrad", "policygrad/node"), and every ```js block is parsed by node. A block
// that drifts from the API fails here, with the compiler's message and the README line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";

const ROOT = join(import.meta.dirname, "..", "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of one language, with the README line each starts on. */
function blocks(lang: string): { code: string; line: number }[] {
  const out: { code: string; line: number }[] = [];
  const lines = README.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== `\`\`\`${lang}`) continue;
    const start = i + 1;
    while (++i < lines.length && lines[i].trim() !== "```");
    out.push({ code: lines.slice(start, i).join("\n"), line: start + 1 });
  }
  return out;
}

test("the README's TypeScript examples typecheck against the package's API", () => {
  const ex = blocks("ts");
  assert.ok(ex.length >= 3, `found ${ex.length} ts blocks`);
  const dir = mkdtempSync(join(tmpdir(), "pg-readme-"));
  const files = ex.map((b, k) => {
    const f = join(dir, `example-${k}.ts`);
    // `export {}`: each block is its own module, as a user's file would be.
    writeFileSync(f, `${b.code}\nexport {};\n`);
    return f;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules", "@types")],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    paths: {
      policygrad: [join(ROOT, "src", "index.ts")],
      "policygrad/node": [join(ROOT, "src", "node.ts")],
    },
  });
  // Only the examples are checked (and what they use from the sources): `npm run typecheck`
  // checks the sources themselves, and checking every file here took most of this test's time.
  const examples = files.map((f) => program.getSourceFile(f)!);
  const problems = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...examples.flatMap((sf) => [
      ...program.getSyntacticDiagnostics(sf),
      ...program.getSemanticDiagnostics(sf),
    ]),
  ]
    .filter((d) => d.file === undefined || files.includes(d.file.fileName))
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${text}`;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const k = files.indexOf(d.file.fileName);
      return `README.md:${ex[k].line + line}: TS${d.code}: ${text}`;
    });
  assert.deepEqual(problems, []);
});

test("the README's JavaScript examples parse as ES modules", () => {
  const ex = blocks("js");
  assert.ok(ex.length >= 1, "the custom-env guide gives its --env-module file in JS");
  for (const b of ex) {
    const r = spawnSync(process.execPath, ["--check", "--input-type=module"], {
      input: b.code,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `README.md:${b.line}: ${r.stderr}`);
  }
});

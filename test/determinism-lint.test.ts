// The rule behind "same seed, same bits in every runtime" (issue #17): no source file calls an
// engine's elementary function (Math.exp, Math.sin, Math.pow, ...) or `**`, whose last bit may
// differ between engines and engine versions. They call src/core/math.ts instead. What stays
// allowed is exact in IEEE-754 and so the same everywhere: Math.sqrt/abs/floor/ceil/round/trunc/
// sign/min/max/fround/imul/clz32, the Math constants, and `2 ** n` for an integer literal n.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";

const EXACT_MATH = new Set([
  "abs",
  "ceil",
  "clz32",
  "floor",
  "fround",
  "imul",
  "max",
  "min",
  "round",
  "sign",
  "sqrt",
  "trunc",
  "E",
  "LN10",
  "LN2",
  "LOG10E",
  "LOG2E",
  "PI",
  "SQRT1_2",
  "SQRT2",
]);

function isIntegerLiteral(e: ts.Expression): boolean {
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) e = e.operand;
  return ts.isNumericLiteral(e) && Number.isInteger(Number(e.text));
}

/** "line: what" for every engine-dependent call in `source`. */
export function engineDependentCalls(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) =>
    found.push(
      `${fileName}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`,
    );
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === "Math") {
      const parent = node.parent;
      const member =
        ts.isPropertyAccessExpression(parent) && parent.expression === node
          ? parent.name.text
          : undefined;
      if (member === undefined) report(node, "Math used other than as Math.<exact member>");
      else if (!EXACT_MATH.has(member)) report(node, `Math.${member}`);
    }
    if (
      ts.isBinaryExpression(node) &&
      (node.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken ||
        node.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskEqualsToken)
    ) {
      const exactPowerOfTwo =
        node.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken &&
        ts.isNumericLiteral(node.left) &&
        node.left.text === "2" &&
        isIntegerLiteral(node.right);
      if (!exactPowerOfTwo) report(node, `${node.getText(sf)} (** other than 2 ** <integer>)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

test("no source file calls an engine's elementary functions or ** (use src/core/math.ts)", () => {
  const files = sources("src");
  assert.ok(files.length > 30, `expected the library's sources under src/, found ${files.length}`);
  const found = files.flatMap((f) => engineDependentCalls(f, readFileSync(f, "utf8")));
  assert.deepEqual(
    found,
    [],
    `engine-dependent math (replace with exp/log/sin/cos/pow/... from src/core/math.ts, x * x for a square):\n${found.join("\n")}`,
  );
});

test("the rule flags what differs between engines and passes what is exact", () => {
  const bad = [
    "Math.exp(x)",
    "Math.pow(a, b)",
    "Math.tanh(x)",
    "Math.log10(x)",
    "Math.hypot(a, b)",
    "a ** b",
    "x ** 0.5",
    "x ** 2",
    "b1 ** t",
    "2 ** 0.5",
    "y **= 3",
    "const { sin } = Math",
    "const m = Math; m.cos(1)",
  ];
  for (const code of bad) {
    assert.equal(engineDependentCalls("t.ts", code).length, 1, `expected one finding in ${code}`);
  }
  const good = [
    "Math.sqrt(x) + Math.abs(y) + Math.PI",
    "2 ** -27",
    "2 ** 53",
    "exp(x) * pow(a, b)",
  ];
  for (const code of good) assert.deepEqual(engineDependentCalls("t.ts", code), [], code);
});

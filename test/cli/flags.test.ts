import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import {
  addConfigOptions,
  collectOverrides,
  flagOf,
  formatFlagValue,
  parseFlagValue,
  UsageError,
} from "../../src/cli/flags.ts";
import {
  booleanField,
  enumField,
  intField,
  intListField,
  nullableNumberField,
  numberField,
} from "../../src/config/schema.ts";

const schema = {
  lr: numberField(0.01, "Learning rate.", { min: 0, exclusiveMin: true }),
  gamma: numberField(0.99, "Discount.", { min: 0, max: 1 }),
  totalSteps: intField(1000, "Budget.", { min: 1 }),
  hiddenSizes: intListField([32], "Widths.", { min: 1 }),
  maxGradNorm: nullableNumberField(null, "Clip.", { min: 0, exclusiveMin: true }),
  optimizer: enumField("adam", ["adam", "sgd"] as const, "Optimizer."),
  normalizeAdvantages: booleanField(true, "Normalize."),
} as const;

function parse(args: string[]): Record<string, unknown> {
  const cmd = new Command("t").exitOverride().configureOutput({ outputError: () => {} });
  addConfigOptions(cmd, schema, "Config:");
  cmd.parse(args, { from: "user" });
  return collectOverrides(schema, cmd.opts());
}

test("flag names are the kebab-case field names", () => {
  assert.equal(flagOf("hiddenSizes"), "--hidden-sizes");
  assert.equal(flagOf("lr"), "--lr");
  assert.equal(formatFlagValue([64, 64]), "64,64");
  assert.equal(formatFlagValue([]), "[]");
  assert.equal(formatFlagValue(null), "null");
});

test("each kind parses: numbers, ints, lists, nullable, enums, --x/--no-x; unset flags are absent", () => {
  assert.deepEqual(parse([]), {});
  assert.deepEqual(
    parse([
      "--lr",
      "3e-4",
      "--total-steps",
      "1_000",
      "--hidden-sizes",
      "64,64",
      "--max-grad-norm",
      "off",
      "--optimizer",
      "sgd",
      "--no-normalize-advantages",
    ]),
    {
      lr: 3e-4,
      totalSteps: 1000,
      hiddenSizes: [64, 64],
      maxGradNorm: null,
      optimizer: "sgd",
      normalizeAdvantages: false,
    },
  );
  assert.deepEqual(
    parse(["--hidden-sizes", "[8, 4]", "--max-grad-norm", "0.5", "--normalize-advantages"]),
    {
      hiddenSizes: [8, 4],
      maxGradNorm: 0.5,
      normalizeAdvantages: true,
    },
  );
  assert.deepEqual(parse(["--gamma=1"]), { gamma: 1 });
});

const bad: [string[], RegExp][] = [
  [["--lr", "-1"], /^invalid value "-1" for --lr: expected a number > 0$/],
  [["--lr", "0"], /for --lr: expected a number > 0/],
  [["--lr", "abc"], /^invalid value "abc" for --lr: expected a number > 0$/],
  [["--lr", "1e999"], /for --lr/],
  [["--gamma", "1.5"], /^invalid value "1.5" for --gamma: expected a number >= 0 and <= 1$/],
  [["--total-steps", "2.5"], /for --total-steps: expected an integer >= 1/],
  [["--hidden-sizes", "64,x"], /for --hidden-sizes: expected a list of integers >= 1/],
  [["--hidden-sizes", "0"], /for --hidden-sizes/],
  [
    ["--max-grad-norm", "nope"],
    /for --max-grad-norm: expected a number > 0 \(or null to turn it off\)/,
  ],
  [
    ["--optimizer", "rmsprop"],
    /^invalid value "rmsprop" for --optimizer: expected one of adam, sgd$/,
  ],
];
for (const [args, message] of bad) {
  test(`a bad value is a UsageError naming flag, value and range: ${args.join(" ")}`, () => {
    assert.throws(
      () => parse(args),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
    );
  });
}

test("parseFlagValue for booleans accepts true/false words only", () => {
  assert.equal(parseFlagValue("x", booleanField(false, "x"), "yes"), true);
  assert.equal(parseFlagValue("x", booleanField(false, "x"), "off"), false);
  assert.throws(
    () => parseFlagValue("x", booleanField(false, "x"), "maybe"),
    /--x: expected true or false/,
  );
});

test("help lists every field with its doc, default and range", () => {
  const cmd = new Command("t");
  addConfigOptions(cmd, schema, "Config:");
  const help = cmd.helpInformation().replace(/\s+/g, " "); // unwrapped
  for (const name of Object.keys(schema))
    assert.ok(help.includes(flagOf(name)), `${name} missing from help`);
  assert.match(help, /--lr <number> Learning rate\. \[default: 0\.01\] \(a number > 0\)/);
  assert.match(help, /--hidden-sizes <n,n,\.\.\.> Widths\. \[default: 32\]/);
  assert.match(
    help,
    /--normalize-advantages Normalize\. \[default: true\] \(--no-normalize-advantages to turn off\)/,
  );
  assert.equal(
    help.split("--no-normalize-advantages").length,
    2,
    "the negation is documented inline only",
  );
});

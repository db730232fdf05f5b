import assert from "node:assert/strict";
import { test } from "node:test";
import {
  booleanField,
  type ConfigOf,
  type ConfigSchema,
  defaultConfig,
  enumField,
  intField,
  intListField,
  nullableNumberField,
  numberField,
  resolveConfig,
} from "../../src/config/schema.ts";

const schema = {
  lr: numberField(0.01, "Step size.", { min: 0, exclusiveMin: true }),
  gamma: numberField(0.99, "Discount.", { min: 0, max: 1 }),
  episodes: intField(8, "Episodes per batch.", { min: 1 }),
  normalize: booleanField(true, "Normalize advantages."),
  optimizer: enumField("adam", ["adam", "sgd"] as const, "Optimizer."),
  hidden: intListField([32, 32], "Hidden sizes.", { min: 1 }),
  clip: nullableNumberField(null, "Gradient clip.", { min: 0, exclusiveMin: true }),
} satisfies ConfigSchema;

test("defaults come from the schema and are typed", () => {
  const cfg: ConfigOf<typeof schema> = defaultConfig(schema);
  assert.deepEqual(cfg, {
    lr: 0.01,
    gamma: 0.99,
    episodes: 8,
    normalize: true,
    optimizer: "adam",
    hidden: [32, 32],
    clip: null,
  });
});

test("overrides are checked and errors name the field, value and range", () => {
  assert.equal(resolveConfig(schema, { lr: 0.5 }).lr, 0.5);
  assert.equal(resolveConfig(schema, { clip: 0.5 }).clip, 0.5);
  assert.throws(
    () => resolveConfig(schema, { lr: -1 }, "Cfg"),
    /Cfg\.lr: got -1, expected a number > 0/,
  );
  assert.throws(
    () => resolveConfig(schema, { gamma: 1.5 }),
    /gamma: got 1.5, expected a number >= 0 and <= 1/,
  );
  assert.throws(
    () => resolveConfig(schema, { episodes: 2.5 }),
    /episodes: got 2.5, expected an integer >= 1/,
  );
  assert.throws(() => resolveConfig(schema, { optimizer: "rmsprop" }), /one of adam, sgd/);
  assert.throws(() => resolveConfig(schema, { hidden: [0] }), /hidden: got \[0\]/);
  assert.throws(() => resolveConfig(schema, { lr: Number.NaN }), /lr: got NaN/);
  assert.throws(() => resolveConfig(schema, { lerning_rate: 1 }), /lerning_rate: .*a known field/);
});

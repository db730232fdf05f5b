import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import {
  box,
  contains,
  describe,
  describeValue,
  discrete,
  flatSize,
  multiBinary,
  multiDiscrete,
  sample,
} from "../../src/envs/spaces.ts";

test("contains: Discrete with start, Box bounds/length/NaN, MultiDiscrete, MultiBinary", () => {
  const d = discrete(3, -1);
  assert.deepEqual(
    [-1, 0, 1].map((x) => contains(d, x)),
    [true, true, true],
  );
  assert.deepEqual(
    [2, -2, 0.5, "0"].map((x) => contains(d, x)),
    [false, false, false, false],
  );
  const b = box([-1, 0], [1, 2]);
  assert.equal(contains(b, [0, 2]), true);
  assert.equal(contains(b, Float32Array.of(0.5, 1)), true);
  assert.equal(contains(b, [0, 2.1]), false);
  assert.equal(contains(b, [0]), false);
  assert.equal(contains(b, [Number.NaN, 1]), false);
  assert.equal(contains(multiDiscrete([2, 3]), [1, 2]), true);
  assert.equal(contains(multiDiscrete([2, 3]), [2, 0]), false);
  assert.equal(contains(multiBinary(2), [0, 1]), true);
  assert.equal(contains(multiBinary(2), [0, 2]), false);
});

test("sample stays in the space and is seeded", () => {
  const spaces = [
    discrete(4, 2),
    box(-2, 3, [2, 2]),
    box([0, -Infinity], [Infinity, Infinity]),
    multiDiscrete([3, 5]),
    multiBinary(3),
  ];
  for (const sp of spaces) {
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) assert.ok(contains(sp, sample(sp, rng)), describe(sp));
    assert.deepEqual(sample(sp, new Rng(9)), sample(sp, new Rng(9)));
  }
  assert.equal(flatSize(box(0, 1, [2, 3])), 6);
  assert.equal(flatSize(discrete(5)), 1);
});

test("describe and describeValue are short and say what is wrong", () => {
  assert.equal(describe(discrete(2)), "Discrete(2)");
  assert.equal(describe(discrete(2, 1)), "Discrete(2, start=1)");
  assert.equal(describe(box(-2, 2, [1])), "Box(-2, 2, [1])");
  assert.equal(describe(box([0, 1], [2, 3])), "Box([0, 1], [2, 3], [2])");
  assert.equal(describeValue([1, Number.NaN]), "[1, NaN] (length 2)");
  assert.equal(describeValue("a"), 'string "a"');
  assert.throws(() => box(1, 0, [1]), /need low <= high at element 0/);
  assert.throws(() => discrete(0), /n must be a positive integer, got 0/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";

test("xoshiro128** matches the reference outputs for state [1, 2, 3, 4]", () => {
  const rng = Rng.fromState({ kind: "xoshiro128**", s: [1, 2, 3, 4], spare: null });
  const got = Array.from({ length: 4 }, () => rng.nextUint32());
  assert.deepEqual(got, [11520, 0, 5927040, 70819200]);
});

test("same seed gives the same stream; different seeds differ", () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const c = new Rng(8);
  const xa = Array.from({ length: 100 }, () => a.uniform());
  const xb = Array.from({ length: 100 }, () => b.uniform());
  const xc = Array.from({ length: 100 }, () => c.uniform());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

test("state round-trips through JSON mid-stream, including a pending normal", () => {
  const a = new Rng(3);
  a.normal(); // leaves a spare
  const restored = Rng.fromState(JSON.parse(JSON.stringify(a.getState())));
  for (let i = 0; i < 50; i++) assert.equal(restored.normal(), a.normal());
});

test("split streams are independent and the parent moves on", () => {
  const parent = new Rng(11);
  const copy = parent.clone();
  const child = parent.split();
  // the child continues where the parent was; the parent jumped away
  assert.equal(child.nextUint32(), copy.nextUint32());
  const p = Array.from({ length: 20 }, () => parent.nextUint32());
  const c = Array.from({ length: 20 }, () => child.nextUint32());
  assert.notDeepEqual(p, c);
});

test("uniform, normal, int and categorical have the right moments (n = 200k, 5 sigma)", () => {
  const rng = new Rng(123);
  const n = 200_000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  const counts = [0, 0, 0];
  const w = [1, 2, 7];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
    counts[rng.categorical(w)]++;
  }
  assert.ok(Math.abs(su / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
  assert.ok(Math.abs(sn / n) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(sn2 / n - 1) < 5 * Math.sqrt(2 / n));
  for (let k = 0; k < 3; k++) {
    const p = w[k] / 10;
    assert.ok(Math.abs(counts[k] / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `category ${k}`);
  }
  const ints = new Array(5).fill(0);
  for (let i = 0; i < 50_000; i++) ints[rng.int(5)]++;
  for (const c of ints) assert.ok(Math.abs(c / 50_000 - 0.2) < 5 * Math.sqrt(0.16 / 50_000));
});

test("bad arguments name themselves", () => {
  assert.throws(() => new Rng(Number.NaN), /seed must be a finite number/);
  assert.throws(() => new Rng(1).int(0), /Rng.int: n must be an integer/);
  assert.throws(() => new Rng(1).categorical([0, 0]), /Rng.categorical/);
  assert.throws(
    () => Rng.fromState({ kind: "xoshiro128**", s: [0, 0, 0, 0], spare: null }),
    /Rng.fromState/,
  );
});

test("fillUniform writes the values successive uniform() calls give, and leaves the stream where they would", () => {
  const a = new Rng(123);
  const b = new Rng(123);
  const out = new Float64Array(1003);
  a.fillUniform(out, 2, 1000);
  assert.equal(out[0], 0);
  assert.equal(out[1002], 0);
  for (let i = 0; i < 1000; i++) assert.equal(out[2 + i], b.uniform(), `draw ${i}`);
  assert.equal(a.uniform(), b.uniform());
});

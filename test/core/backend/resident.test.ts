import assert from "node:assert/strict";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import {
  activateInPlace,
  denseInto,
  matmulABtAdd,
  matmulAtBAdd,
  matmulInto,
} from "../../../src/core/backend/kernels.ts";
import { residentArray, residentCopy, useSimd } from "../../../src/core/backend/simd.ts";
import { Rng } from "../../../src/core/index.ts";

/** Bit equality, NaN and -0 included. */
function assertSameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Object.is(a[i], b[i]), `${what}: element ${i} is ${a[i]} vs ${b[i]}`);
  }
}

/** True when x is a view into the kernels' memory rather than an array of its own. */
function isResident(x: Float64Array): boolean {
  return x.buffer.byteLength > x.byteLength;
}

test("residentArray gives zeroed arrays in the kernels' memory, at distinct 16-byte-aligned places", () => {
  const rng = new Rng(1);
  const arrays = [3, 1, 64, 4096, 7].map((n) => {
    const a = residentArray(n);
    assert.equal(a.length, n);
    assert.ok(isResident(a), `n = ${n}`);
    assert.equal(a.byteOffset % 16, 0);
    assert.ok(a.every((v) => v === 0));
    rng.fillNormal(a);
    return a;
  });
  // No two overlap: writing one leaves the others as they were.
  const before = arrays.map((a) => a.slice());
  arrays[2].fill(7);
  arrays.forEach((a, i) => {
    if (i !== 2) assertSameBits(a, before[i], `array ${i}`);
  });
  const c = residentCopy(Float64Array.from([1, -0, 2.5]));
  assert.ok(isResident(c));
  assertSameBits(c, Float64Array.from([1, -0, 2.5]), "residentCopy");
});

/** Every operand of every product as a resident array or a plain one: the same bits either way. */
test("products read and write resident arrays in place, with the same bits as plain arrays and JS", () => {
  const rng = new Rng(2);
  for (const [M, K, N] of [
    [1, 64, 64],
    [1, 4, 64],
    [3, 64, 64],
    [64, 33, 18],
  ]) {
    const plain = {
      a: rng.fillNormal(new Float64Array(M * K)) as Float64Array,
      b: rng.fillNormal(new Float64Array(K * N)) as Float64Array,
      bias: rng.fillNormal(new Float64Array(N)) as Float64Array,
      g: rng.fillNormal(new Float64Array(M * N)) as Float64Array,
      w: rng.fillNormal(new Float64Array(K * N)) as Float64Array,
      x: rng.fillNormal(new Float64Array(M * K)) as Float64Array,
    };
    const resident = Object.fromEntries(
      Object.entries(plain).map(([k, v]) => [k, residentCopy(v)]),
    ) as typeof plain;
    const run = (o: typeof plain, out: (n: number) => Float64Array) => {
      const y = out(M * N);
      denseInto(o.a, o.b, o.bias, y, M, K, N, "tanh");
      const z = out(M * N);
      matmulInto(o.a, o.b, null, z, M, K, N);
      const gw = out(K * N);
      matmulAtBAdd(o.x, o.g, gw, M, K, N, true);
      matmulAtBAdd(o.a, o.g, gw, M, K, N, false);
      const gx = out(M * K);
      gx.set(o.x);
      matmulABtAdd(o.g, o.w, gx, M, N, K);
      const t = out(M * N);
      t.set(z);
      activateInPlace(t, M * N, "tanh");
      return [y, z, gw, gx, t];
    };
    const shape = `${M}x${K}x${N}`;
    const ref = run(plain, (n) => new Float64Array(n));
    const viaResident = run(resident, residentArray);
    const mixed = run({ ...plain, b: resident.b, g: resident.g }, (n) => new Float64Array(n));
    useSimd(false);
    const js = run(plain, (n) => new Float64Array(n));
    useSimd(true);
    ref.forEach((r, i) => {
      assert.ok(isResident(viaResident[i]));
      assertSameBits(viaResident[i], r, `${shape} product ${i}, all resident`);
      assertSameBits(mixed[i], r, `${shape} product ${i}, some resident`);
      assertSameBits(js[i], r, `${shape} product ${i}, JS`);
    });
  }
});

test("a product too large for the fixed memory runs in a growing one, resident operands included", () => {
  const rng = new Rng(3);
  // a is 20000 x 64 f64s (10 MB) and so is the output: more than the 16 MB memory's free half.
  const [M, K, N] = [20000, 64, 64];
  const a = rng.fillNormal(new Float64Array(M * K)) as Float64Array;
  const b = residentCopy(rng.fillNormal(new Float64Array(K * N)) as Float64Array);
  const out = new Float64Array(M * N);
  matmulInto(a, b, null, out, M, K, N);
  useSimd(false);
  const js = new Float64Array(M * N);
  matmulInto(a, b, null, js, M, K, N);
  useSimd(true);
  assertSameBits(out, js, "20000x64x64");
  // And a small product still runs right after.
  const small = new Float64Array(64);
  matmulInto(a.subarray(0, 64), b, null, small, 1, 64, 64);
  assertSameBits(small, js.subarray(0, 64), "1x64x64 after");
});

test("resident blocks come back when their arrays are collected, and a full memory falls back", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const collect = async () => {
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  await collect();
  // 2^17 f64s is 1 MB: the resident half (8 MB) holds fewer than 8 of them.
  let held: Float64Array[] = [];
  for (let i = 0; i < 9; i++) held.push(residentArray(2 ** 17));
  const resident = held.filter(isResident).length;
  assert.ok(resident >= 1 && resident < 8, `${resident} resident`);
  assert.ok(!isResident(held[8]), "a full memory gives a plain array");
  assert.equal(held[8].length, 2 ** 17);
  held = [];
  await collect();
  const again: Float64Array[] = [];
  for (let i = 0; i < resident; i++) again.push(residentArray(2 ** 17));
  assert.ok(again.every(isResident), "freed blocks are handed out again");
});

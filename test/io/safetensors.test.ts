import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
} from "../../src/io/safetensors.ts";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors-file.ts";

const dir = mkdtempSync(join(tmpdir(), "pg-safetensors-"));

function randomValues(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.normal() * 10 ** (rng.int(11) - 5));
}

/** Builds a valid file by hand: header JSON object and raw bytes. */
function build(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = Buffer.from(JSON.stringify(header));
  if (pad && json.length % 8 !== 0)
    json = Buffer.concat([json, Buffer.alloc(8 - (json.length % 8), 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

// An independent reader: Python's standard library only (struct, json), not our code.
const PY_READER = `
import json, struct, sys
path = sys.argv[1]
with open(path, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
assert (8 + n) % 8 == 0, "data not 8-byte aligned"
meta = header.pop("__metadata__", {})
data = raw[8 + n:]
out = {"__metadata__": meta}
for name, e in header.items():
    b, end = e["data_offsets"]
    code, size = {"F64": ("d", 8), "F32": ("f", 4)}[e["dtype"]]
    count = (end - b) // size
    out[name] = {"dtype": e["dtype"], "shape": e["shape"], "values": list(struct.unpack("<%d%s" % (count, code), data[b:end]))}
print(json.dumps(out))
`;

test("python's struct-based reader reads our file: names, shapes, dtypes and values exactly", () => {
  const rng = new Rng(3);
  const w = randomValues(rng, 12);
  const b = randomValues(rng, 3);
  const f32 = [1.5, -2.25, 3e-3, 1e30];
  const path = join(dir, "ours.safetensors");
  writeSafetensors(
    path,
    {
      "policy.0.weight": { shape: [4, 3], data: w },
      "policy.0.bias": { shape: [3], data: b },
      "half.precision": { shape: [2, 2], data: f32, dtype: "F32" },
      scalar: { shape: [], data: [Math.PI] },
      empty: { shape: [0, 5], data: [] },
    },
    { producer: "policygrad" },
  );
  const py = spawnSync("python3", ["-c", PY_READER, path], { encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const got = JSON.parse(py.stdout);
  assert.deepEqual(got.__metadata__, { producer: "policygrad" });
  assert.deepEqual(got["policy.0.weight"], { dtype: "F64", shape: [4, 3], values: w });
  assert.deepEqual(got["policy.0.bias"], { dtype: "F64", shape: [3], values: b });
  assert.deepEqual(got.scalar, { dtype: "F64", shape: [], values: [Math.PI] });
  assert.deepEqual(got.empty, { dtype: "F64", shape: [0, 5], values: [] });
  // F32 values are the float32 roundings, compared exactly against Math.fround.
  assert.deepEqual(got["half.precision"].values, f32.map(Math.fround));
});

test("our reader reads a file python wrote by hand with struct", () => {
  const path = join(dir, "python.safetensors");
  const script = `
import json, struct, sys
w = [0.5, -1.25, 3.0, 1e-300, -7.5, 2.0]
b = [0.1, 0.2]
header = {"b": {"dtype": "F32", "shape": [2], "data_offsets": [48, 56]},
          "w": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]},
          "__metadata__": {"format": "pt"}}
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + struct.pack("<6d", *w) + struct.pack("<2f", *b))
`;
  const py = spawnSync("python3", ["-c", script, path], { encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const { tensors, metadata } = readSafetensors(path, { checkFinite: true });
  assert.deepEqual(metadata, { format: "pt" });
  assert.deepEqual(Object.keys(tensors), ["w", "b"]); // in data order
  assert.deepEqual(tensors.w.shape, [2, 3]);
  assert.deepEqual(Array.from(tensors.w.data), [0.5, -1.25, 3.0, 1e-300, -7.5, 2.0]);
  assert.equal(tensors.b.dtype, "F32");
  assert.deepEqual(Array.from(tensors.b.data), [Math.fround(0.1), Math.fround(0.2)]);
});

test("round trip through our own writer and reader is exact, and the data is 8-byte aligned", () => {
  const rng = new Rng(9);
  const v = randomValues(rng, 7);
  const bytes = encodeSafetensors({ a: { shape: [7], data: v } });
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0);
  assert.equal(bytes[8 + n - 1] === 0x20 || bytes[8 + n - 1] === 0x7d, true);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(Array.from(back.tensors.a.data), v);
  assert.deepEqual(back.metadata, {});
});

test("the writer rejects inconsistent input", () => {
  assert.throws(
    () => encodeSafetensors({ a: { shape: [2, 2], data: [1, 2, 3] } }),
    /has 3 values but shape \[2, 2\] needs 4/,
  );
  assert.throws(() => encodeSafetensors({ a: { shape: [-1], data: [] } }), /integers >= 0/);
  assert.throws(() => encodeSafetensors({ __metadata__: { shape: [1], data: [1] } }), /reserved/);
});

const eight = new Uint8Array(8);
const good = { a: { dtype: "F64", shape: [1], data_offsets: [0, 8] } };
const cases: [string, () => Uint8Array, RegExp][] = [
  ["empty file", () => new Uint8Array(3), /shorter than the 8-byte header length/],
  [
    "header length past the end",
    () => {
      const b = build(good, eight);
      new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(0, 10_000n, true);
      return b;
    },
    /header length 10000 exceeds/,
  ],
  ["truncated data", () => build(good, new Uint8Array(4)), /beyond the 4 data bytes/],
  [
    "trailing bytes",
    () => build(good, new Uint8Array(16)),
    /cover 8 data bytes but the file has 16/,
  ],
  [
    "header not JSON",
    () => {
      const b = build(good, eight);
      b[9] = 0x7b; // '{' in place of the first key's opening quote
      return b;
    },
    /not valid JSON/,
  ],
  ["header not an object", () => build([1, 2], eight), /must start with "\{"/],
  [
    "unsupported dtype",
    () => build({ a: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }, eight),
    /dtype "BF16" is not supported/,
  ],
  [
    "shape/offsets mismatch",
    () => build({ a: { dtype: "F64", shape: [2], data_offsets: [0, 8] } }, eight),
    /needs 16 bytes but data_offsets span 8/,
  ],
  [
    "negative dim",
    () => build({ a: { dtype: "F64", shape: [-1], data_offsets: [0, 8] } }, eight),
    /integers >= 0/,
  ],
  [
    "bad offsets",
    () => build({ a: { dtype: "F64", shape: [1], data_offsets: [8, 0] } }, eight),
    /end before begin/,
  ],
  [
    "overlap",
    () =>
      build(
        {
          a: { dtype: "F64", shape: [1], data_offsets: [0, 8] },
          b: { dtype: "F64", shape: [1], data_offsets: [0, 8] },
        },
        eight,
      ),
    /overlap the previous tensor/,
  ],
  [
    "gap",
    () => build({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, eight),
    /gap in the data before offset 4/,
  ],
  ["unknown key", () => build({ a: { ...good.a, extra: 1 } }, eight), /unknown key "extra"/],
  [
    "metadata not strings",
    () => build({ ...good, __metadata__: { k: 1 } }, eight),
    /must be a string/,
  ],
];
for (const [name, make, message] of cases) {
  test(`a malformed file is rejected with a clear error: ${name}`, () => {
    assert.throws(
      () => decodeSafetensors(make(), { source: "x.safetensors" }),
      (e: unknown) =>
        e instanceof SafetensorsError &&
        /^x\.safetensors: /.test(e.message) &&
        message.test(e.message),
    );
  });
}

test("checkFinite names the tensor and index of a NaN; without it NaN loads", () => {
  const bytes = encodeSafetensors({ w: { shape: [3], data: [1, Number.NaN, 2] } });
  assert.throws(
    () => decodeSafetensors(bytes, { source: "f", checkFinite: true }),
    /tensor "w" holds NaN at flat index 1/,
  );
  assert.ok(Number.isNaN(decodeSafetensors(bytes).tensors.w.data[1]));
});

test("a missing file is a SafetensorsError naming it", () => {
  const p = join(dir, "nope.safetensors");
  assert.throws(
    () => readSafetensors(p),
    (e: unknown) =>
      e instanceof SafetensorsError && e.message.includes(p) && /does not exist/.test(e.message),
  );
  writeFileSync(join(dir, "junk.safetensors"), "hello world, not a tensor file");
  assert.throws(() => readSafetensors(join(dir, "junk.safetensors")), SafetensorsError);
});

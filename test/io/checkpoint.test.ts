import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../../src/core/rng.ts";
import { type Params, Tensor } from "../../src/core/tensor.ts";
import {
  CheckpointError,
  decodeState,
  encodeState,
  loadCheckpoint,
  resolveCheckpointDir,
  saveCheckpoint,
} from "../../src/io/checkpoint.ts";

function params(rng: Rng): Params {
  const w = new Float64Array(12).map(() => rng.normal());
  const b = new Float64Array(3).map(() => rng.normal());
  return { "policy.0.weight": new Tensor(w, [4, 3]), "policy.0.bias": new Tensor(b, [3]) };
}
const info = { algo: "reinforce", envId: "CartPole-v1", update: 5, envSteps: 1234 };
const state = {
  config: { lr: 0.01, hiddenSizes: [64, 64], maxGradNorm: null },
  rng: new Rng(1).getState(),
  opt: { t: 3, m: Float64Array.of(1.5, -0, Number.NaN), v: [0.25, Infinity, -Infinity] },
  counters: { update: 5, envSteps: 1234 },
  bits: Uint8Array.of(0, 1, 1),
};

function fresh(): { root: string; ckpts: string } {
  const root = mkdtempSync(join(tmpdir(), "pg-ckpt-"));
  return { root, ckpts: join(root, "checkpoints") };
}

test("save then load returns the same params, value params, state and info", () => {
  const { root, ckpts } = fresh();
  const p = params(new Rng(1));
  const v = params(new Rng(2));
  const dir = saveCheckpoint(ckpts, { params: p, valueParams: v, state }, info);
  for (const where of [root, ckpts, dir, join(dir, "manifest.json")]) {
    const c = loadCheckpoint(where);
    assert.equal(c.path, dir);
    assert.deepEqual(c.info, { ...info, createdAt: c.info.createdAt });
    for (const [k, t] of Object.entries(p)) {
      assert.deepEqual(c.params[k].shape, t.shape);
      assert.deepEqual(Array.from(c.params[k].data), Array.from(t.data));
      assert.ok(c.params[k] instanceof Tensor);
    }
    assert.deepEqual(
      Array.from(c.valueParams!["policy.0.weight"].data),
      Array.from(v["policy.0.weight"].data),
    );
    assert.deepEqual(c.state, state); // deepEqual compares typed arrays, NaN, -0 and Infinity exactly
    assert.ok(Object.is((c.state as typeof state).opt.m[1], -0));
  }
});

test("state encoding preserves typed arrays, NaN, +-Infinity and -0, and refuses what JSON cannot hold", () => {
  const s = {
    a: Float64Array.of(0.1, -0, Number.NaN),
    b: [Infinity, -Infinity, -0, 1e-310],
    c: "x",
    d: null,
    e: Int32Array.of(-3),
  };
  assert.deepEqual(decodeState(encodeState(s)), s);
  assert.throws(() => encodeState({ f: () => 1 }), /state\.f is a function/);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.throws(() => encodeState(circular), /circular/);
});

test("the params file is plain safetensors that Python's struct reader parses", () => {
  const { ckpts } = fresh();
  const p = params(new Rng(3));
  const dir = saveCheckpoint(ckpts, { params: p, state: {} }, info);
  const py = spawnSync(
    "python3",
    [
      "-c",
      `import json,struct,sys
raw=open(sys.argv[1],"rb").read(); (n,)=struct.unpack("<Q",raw[:8]); h=json.loads(raw[8:8+n])
b,e=h["policy.0.weight"]["data_offsets"]; print(json.dumps({"shape":h["policy.0.weight"]["shape"],"v":list(struct.unpack("<12d",raw[8+n+b:8+n+e]))}))`,
      join(dir, "params.safetensors"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(py.status, 0, py.stderr);
  assert.deepEqual(JSON.parse(py.stdout), {
    shape: [4, 3],
    v: Array.from(p["policy.0.weight"].data),
  });
});

test("saving keeps the newest `keep` checkpoints and points at the last", () => {
  const { ckpts } = fresh();
  const rng = new Rng(4);
  for (let u = 1; u <= 5; u++)
    saveCheckpoint(
      ckpts,
      { params: params(rng), state: { u } },
      { ...info, update: u },
      { keep: 2 },
    );
  const names = readdirSync(ckpts).sort();
  assert.deepEqual(names, ["ckpt-00000004", "ckpt-00000005", "latest.json"]);
  assert.deepEqual(loadCheckpoint(ckpts).state, { u: 5 });
  // Saving the same update again gets a fresh name: the published directory is never rewritten.
  const again = saveCheckpoint(
    ckpts,
    { params: params(rng), state: { u: "5 again" } },
    { ...info, update: 5 },
  );
  assert.match(again, /ckpt-00000005\.1$/);
  assert.deepEqual(loadCheckpoint(ckpts).state, { u: "5 again" });
});

test("saving refuses NaN parameters, so a diverged run cannot replace a good checkpoint", () => {
  const { ckpts } = fresh();
  saveCheckpoint(ckpts, { params: params(new Rng(5)), state: { good: true } }, info);
  const bad = params(new Rng(6));
  bad["policy.0.bias"].data[2] = Number.NaN;
  assert.throws(
    () => saveCheckpoint(ckpts, { params: bad, state: {} }, { ...info, update: 6 }),
    /"policy\.0\.bias"\] holds NaN at flat index 2/,
  );
  assert.deepEqual(loadCheckpoint(ckpts).state, { good: true });
});

/** Saves a good checkpoint, damages it with `damage(dir)`, and expects a CheckpointError matching `message`. */
function expectBroken(damage: (dir: string, root: string) => void, message: RegExp): void {
  const { root, ckpts } = fresh();
  const dir = saveCheckpoint(
    ckpts,
    { params: params(new Rng(7)), valueParams: params(new Rng(8)), state },
    info,
  );
  damage(dir, root);
  assert.throws(
    () => loadCheckpoint(root),
    (e: unknown) =>
      e instanceof CheckpointError && message.test(e.message) && !e.message.includes("\n"),
  );
}

const f = (dir: string, name: string) => join(dir, name);
const badCases: [string, (dir: string, root: string) => void, RegExp][] = [
  ["missing path", (_d, root) => rmSync(root, { recursive: true }), /does not exist/],
  [
    "empty directory",
    (_d, root) => rmSync(join(root, "checkpoints"), { recursive: true }),
    /no checkpoint found/,
  ],
  [
    "missing params file",
    (d) => rmSync(f(d, "params.safetensors")),
    /params\.safetensors: file is missing/,
  ],
  [
    "missing checkpoint dir named by the pointer",
    (d) => rmSync(d, { recursive: true }),
    /named by latest\.json but missing/,
  ],
  [
    "truncated params",
    (d) => truncateSync(f(d, "params.safetensors"), 100),
    /params\.safetensors: has 100 bytes but the manifest says/,
  ],
  [
    "corrupted safetensors header (same size)",
    (d) => {
      const b = readFileSync(f(d, "params.safetensors"));
      b[8] = 0x5b; // '[' instead of '{'
      writeFileSync(f(d, "params.safetensors"), b);
    },
    /params\.safetensors: header must start with "\{"/,
  ],
  [
    "wrong sizes in the header (same file size)",
    (d) => {
      const b = readFileSync(f(d, "params.safetensors"));
      const s = b
        .toString("latin1")
        .replace('"shape":[4,3]', '"shape":[3,4]')
        .replace('"shape":[3]', '"shape":[9]');
      writeFileSync(f(d, "params.safetensors"), Buffer.from(s, "latin1"));
    },
    /shape \[9\] of F64 needs 72 bytes but data_offsets span 24/,
  ],
  [
    "NaN values",
    (d) => {
      const b = readFileSync(f(d, "value.safetensors"));
      const n = Number(b.readBigUInt64LE(0));
      b.writeDoubleLE(Number.NaN, 8 + n + 8);
      writeFileSync(f(d, "value.safetensors"), b);
    },
    /value\.safetensors: tensor "\S+" holds NaN at flat index/,
  ],
  [
    "flipped data byte (well-formed but corrupted)",
    (d) => {
      const b = readFileSync(f(d, "params.safetensors"));
      b[b.length - 1] ^= 1;
      writeFileSync(f(d, "params.safetensors"), b);
    },
    /SHA-256 does not match the manifest \(corrupted\)/,
  ],
  [
    "state not JSON (same size)",
    (d) => {
      const b = readFileSync(f(d, "state.json"));
      b[0] = 0x5b; // '[' instead of '{'
      writeFileSync(f(d, "state.json"), b);
    },
    /state\.json: is not valid JSON/,
  ],
  [
    "manifest not JSON",
    (d) => writeFileSync(f(d, "manifest.json"), "{ nope"),
    /manifest\.json: is not valid JSON/,
  ],
  [
    "manifest of another format",
    (d) => writeFileSync(f(d, "manifest.json"), '{"format":"x"}'),
    /format should be "policygrad-checkpoint"/,
  ],
  [
    "pointer garbage",
    (_d, root) => writeFileSync(join(root, "checkpoints", "latest.json"), "\u0000\u0001"),
    /latest\.json: is not valid JSON/,
  ],
];
for (const [name, damage, message] of badCases) {
  test(`a broken checkpoint gives a one-line CheckpointError: ${name}`, () =>
    expectBroken(damage, message));
}

test("resolveCheckpointDir rejects a plain file", () => {
  const { root } = fresh();
  writeFileSync(join(root, "x.bin"), "x");
  assert.throws(() => resolveCheckpointDir(join(root, "x.bin")), /is a file/);
});

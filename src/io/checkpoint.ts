/**
 * Checkpoints on disk. A checkpoints directory holds one subdirectory per saved checkpoint and a
 * small pointer file naming the latest complete one:
 *
 * ```
 * checkpoints/
 *   latest.json              {"format":"policygrad-checkpoint-pointer","version":1,"checkpoint":"ckpt-00000040"}
 *   ckpt-00000040/
 *     manifest.json          algo, env id, counters, and each file's size and SHA-256
 *     params.safetensors     policy parameters (F64, names such as "policy.0.weight" [in, out])
 *     value.safetensors      value-network parameters, when the algorithm has one
 *     state.json             optimizer, RNG, normalizer and env state, counters, config (JSON)
 * ```
 *
 * Saving writes a new subdirectory under a temp name, fsyncs it, renames it into place, and only
 * then atomically replaces `latest.json`; a process killed at any moment leaves the previous
 * checkpoint as the latest, intact. Loading validates everything (pointer, manifest, sizes,
 * checksums, safetensors structure, finite parameters) and reports a problem as a
 * {@link CheckpointError} that names the file; nothing in the files is ever executed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Params, parameter, Tensor } from "../core/tensor.ts";
import {
  fsyncDir,
  removePath,
  renameDurable,
  writeFileAtomic,
  writeFileDurable,
} from "./atomic.ts";
import {
  CheckpointError,
  type CheckpointFile,
  type CheckpointInfo,
  decodeCheckpointFile,
  encodeCheckpointFile,
} from "./checkpoint-file.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsInput,
} from "./safetensors.ts";
import { decodeState, encodeState } from "./state-json.ts";

// Their home is browser-safe now; importers of this module keep finding them here.
export { CheckpointError, type CheckpointInfo } from "./checkpoint-file.ts";
export { decodeState, encodeState } from "./state-json.ts";

/** What an algorithm saves: parameters as tensors, everything else as JSON-safe state. */
export interface Checkpoint {
  readonly params: Params;
  readonly valueParams?: Params;
  /** JSON-safe, except that typed arrays, NaN, +-Infinity and -0 are also preserved exactly. */
  readonly state: unknown;
}

export interface LoadedCheckpoint extends Checkpoint {
  readonly info: CheckpointInfo & { readonly createdAt: string };
  /** The checkpoint's own directory. */
  readonly path: string;
}

const POINTER = "latest.json";
const MANIFEST = "manifest.json";
const POINTER_FORMAT = "policygrad-checkpoint-pointer";
const MANIFEST_FORMAT = "policygrad-checkpoint";
const VERSION = 1;
const FILES = {
  params: "params.safetensors",
  value: "value.safetensors",
  state: "state.json",
} as const;

interface FileEntry {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

interface Manifest extends CheckpointInfo {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  readonly files: { params: FileEntry; value?: FileEntry; state: FileEntry };
}

let saveCounter = 0;

/**
 * Saves a checkpoint into `checkpointsDir` (created if needed) and makes it the latest. Older
 * checkpoints beyond `keep` (default 2) are removed afterwards.
 *
 * @returns the new checkpoint's directory.
 */
export function saveCheckpoint(
  checkpointsDir: string,
  checkpoint: Checkpoint,
  info: CheckpointInfo,
  options: { keep?: number } = {},
): string {
  const keep = options.keep ?? 2;
  if (!Number.isInteger(keep) || keep < 1)
    throw new RangeError(`saveCheckpoint: keep must be an integer >= 1, got ${keep}`);
  for (const k of ["update", "envSteps"] as const) {
    if (!Number.isSafeInteger(info[k]) || info[k] < 0) {
      throw new RangeError(`saveCheckpoint: info.${k} must be an integer >= 0, got ${info[k]}`);
    }
  }
  mkdirSync(checkpointsDir, { recursive: true });
  saveCounter += 1;
  const tmp = join(checkpointsDir, `.tmp-${process.pid}-${saveCounter}`);
  removePath(tmp);
  mkdirSync(tmp);

  const write = (name: string, bytes: Uint8Array): FileEntry => {
    writeFileDurable(join(tmp, name), bytes);
    return { name, bytes: bytes.length, sha256: sha256(bytes) };
  };
  const meta = {
    producer: "policygrad",
    layout:
      "dense layer i: y = x @ weight + bias, weight [in, out] (transpose for torch.nn.Linear)",
  };
  const files: Manifest["files"] = {
    params: write(
      FILES.params,
      encodeSafetensors(paramsToInputs(checkpoint.params, "params"), meta),
    ),
    state: write(FILES.state, Buffer.from(encodeState(checkpoint.state), "utf8")),
  };
  if (checkpoint.valueParams) {
    files.value = write(
      FILES.value,
      encodeSafetensors(paramsToInputs(checkpoint.valueParams, "valueParams"), meta),
    );
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: VERSION,
    algo: info.algo,
    envId: info.envId,
    update: info.update,
    envSteps: info.envSteps,
    createdAt: new Date().toISOString(),
    files,
  };
  writeFileDurable(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  fsyncDir(tmp);

  // A fresh name, so the directory the pointer names is never replaced in place.
  const base = `ckpt-${String(info.update).padStart(8, "0")}`;
  let name = base;
  for (let n = 1; existsSync(join(checkpointsDir, name)); n++) name = `${base}.${n}`;
  renameDurable(tmp, join(checkpointsDir, name));
  writeFileAtomic(
    join(checkpointsDir, POINTER),
    `${JSON.stringify({ format: POINTER_FORMAT, version: VERSION, checkpoint: name })}\n`,
  );
  prune(checkpointsDir, name, keep);
  return join(checkpointsDir, name);
}

/** Removes checkpoints older than the newest `keep` and temp dirs left by killed saves. */
function prune(dir: string, latest: string, keep: number): void {
  const names = readdirSync(dir);
  for (const n of names) {
    // Temp dirs of this process are gone by now; any other is from a killed writer.
    if (n.startsWith(".tmp-") || (n.startsWith(`.${POINTER}.`) && n.endsWith(".tmp"))) {
      removePath(join(dir, n));
    }
  }
  const ckpts = names
    .filter((n) => /^ckpt-\d+(\.\d+)?$/.test(n) && n !== latest)
    .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t || (a.n < b.n ? 1 : -1));
  for (const { n } of ckpts.slice(keep - 1)) removePath(join(dir, n));
}

/**
 * Finds the checkpoint directory `path` refers to: a checkpoint directory (has manifest.json), a
 * checkpoints directory (has latest.json), or a run directory (has checkpoints/latest.json).
 */
export function resolveCheckpointDir(path: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new CheckpointError(path, "does not exist");
  if (statSync(p).isFile()) {
    if (basename(p) === MANIFEST) return dirname(p);
    if (basename(p) === POINTER) return readPointer(dirname(p));
    throw new CheckpointError(
      path,
      `is a file; expected a run directory or a checkpoint directory`,
    );
  }
  if (existsSync(join(p, MANIFEST))) return p;
  if (existsSync(join(p, POINTER))) return readPointer(p);
  if (existsSync(join(p, "checkpoints", POINTER))) return readPointer(join(p, "checkpoints"));
  throw new CheckpointError(
    path,
    `no checkpoint found (expected ${MANIFEST}, ${POINTER} or checkpoints/${POINTER} inside)`,
  );
}

function readPointer(dir: string): string {
  const file = join(dir, POINTER);
  const ptr = readJson(file) as Record<string, unknown>;
  if (ptr === null || typeof ptr !== "object" || ptr.format !== POINTER_FORMAT) {
    throw new CheckpointError(
      file,
      `not a checkpoint pointer (format should be "${POINTER_FORMAT}")`,
    );
  }
  if (ptr.version !== VERSION)
    throw new CheckpointError(file, `unsupported version ${JSON.stringify(ptr.version)}`);
  const name = ptr.checkpoint;
  if (typeof name !== "string" || !/^ckpt-\d+(\.\d+)?$/.test(name)) {
    throw new CheckpointError(file, `bad checkpoint name ${JSON.stringify(name)}`);
  }
  const target = join(dir, name);
  if (!existsSync(join(target, MANIFEST)))
    throw new CheckpointError(target, `named by ${POINTER} but missing`);
  return target;
}

/**
 * Loads and validates a checkpoint. `path` is a run directory, a checkpoints directory or one
 * checkpoint's directory. Throws {@link CheckpointError} for anything missing, truncated, corrupted,
 * inconsistent or non-finite.
 */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const dir = resolveCheckpointDir(path);
  const manifestPath = join(dir, MANIFEST);
  const m = readJson(manifestPath) as Record<string, unknown>;
  const bad = (problem: string): never => {
    throw new CheckpointError(manifestPath, problem);
  };
  if (m === null || typeof m !== "object" || m.format !== MANIFEST_FORMAT)
    bad(`format should be "${MANIFEST_FORMAT}"`);
  if (m.version !== VERSION)
    bad(`unsupported version ${JSON.stringify(m.version)} (this build reads ${VERSION})`);
  if (typeof m.algo !== "string" || typeof m.envId !== "string")
    bad("algo and envId must be strings");
  for (const k of ["update", "envSteps"]) {
    if (!Number.isSafeInteger(m[k]) || (m[k] as number) < 0) bad(`${k} must be an integer >= 0`);
  }
  const files = m.files as Record<string, unknown> | undefined;
  if (files === null || typeof files !== "object") bad("files must be an object");
  const readEntry = (key: "params" | "value" | "state"): Uint8Array | null => {
    const e = (files as Record<string, unknown>)[key] as Record<string, unknown> | undefined;
    if (e === undefined) return null;
    if (
      e === null ||
      typeof e !== "object" ||
      e.name !== FILES[key] ||
      !Number.isSafeInteger(e.bytes) ||
      typeof e.sha256 !== "string"
    ) {
      return bad(`files.${key} must be {name: "${FILES[key]}", bytes, sha256}`);
    }
    const file = join(dir, FILES[key]);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CheckpointError(
        file,
        code === "ENOENT" ? "file is missing" : `cannot read (${code})`,
      );
    }
    if (bytes.length !== e.bytes) {
      throw new CheckpointError(
        file,
        `has ${bytes.length} bytes but the manifest says ${e.bytes} (truncated or replaced)`,
      );
    }
    return bytes;
  };
  const checkSum = (key: "params" | "value" | "state", bytes: Uint8Array): void => {
    const e = (files as Record<string, FileEntry>)[key];
    if (sha256(bytes) !== e.sha256) {
      throw new CheckpointError(
        join(dir, FILES[key]),
        "SHA-256 does not match the manifest (corrupted)",
      );
    }
  };
  const decodeParams = (key: "params" | "value", bytes: Uint8Array): Params => {
    // Structure first, so a damaged header gets its specific message; the checksum then catches
    // damage that leaves a well-formed file (flipped data bytes).
    const file = join(dir, FILES[key]);
    let contents: ReturnType<typeof decodeSafetensors>;
    try {
      contents = decodeSafetensors(bytes, { source: file, checkFinite: true });
    } catch (err) {
      if (err instanceof SafetensorsError) throw new CheckpointError(file, err.problem);
      throw err;
    }
    checkSum(key, bytes);
    const params: Params = {};
    for (const [name, t] of Object.entries(contents.tensors)) {
      // Parameters like initMlp's, so a resumed run is as fast as a fresh one.
      params[name] = parameter(
        t.data instanceof Float64Array ? t.data : Float64Array.from(t.data),
        t.shape,
      );
    }
    return params;
  };

  const paramsBytes = readEntry("params");
  if (paramsBytes === null) bad("files.params is missing");
  const params = decodeParams("params", paramsBytes as Uint8Array);
  const valueBytes = readEntry("value");
  const valueParams = valueBytes === null ? undefined : decodeParams("value", valueBytes);
  const stateBytes = readEntry("state");
  if (stateBytes === null) bad("files.state is missing");
  const stateFile = join(dir, FILES.state);
  let state: unknown;
  try {
    state = decodeState(Buffer.from(stateBytes as Uint8Array).toString("utf8"));
  } catch (err) {
    throw new CheckpointError(stateFile, `is not valid JSON (${(err as Error).message})`);
  }
  checkSum("state", stateBytes as Uint8Array);
  return {
    params,
    ...(valueParams ? { valueParams } : {}),
    state,
    info: {
      algo: m.algo as string,
      envId: m.envId as string,
      update: m.update as number,
      envSteps: m.envSteps as number,
      createdAt: String(m.createdAt),
    },
    path: dir,
  };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      file,
      code === "ENOENT" ? "file is missing" : `cannot read (${code})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(file, `is not valid JSON (${(err as Error).message})`);
  }
}

function paramsToInputs(params: Params, what: string): Record<string, SafetensorsInput> {
  if (params === null || typeof params !== "object")
    throw new TypeError(`saveCheckpoint: ${what} must be an object of Tensors`);
  const out: Record<string, SafetensorsInput> = {};
  for (const [name, t] of Object.entries(params)) {
    if (!(t instanceof Tensor))
      throw new TypeError(`saveCheckpoint: ${what}["${name}"] is not a Tensor`);
    for (let i = 0; i < t.size; i++) {
      if (!Number.isFinite(t.data[i])) {
        // Refuse to overwrite a good checkpoint with a diverged one.
        throw new RangeError(
          `saveCheckpoint: ${what}["${name}"] holds ${t.data[i]} at flat index ${i}`,
        );
      }
    }
    out[name] = { shape: t.shape, data: t.data, dtype: "F64" };
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Writes a {@link CheckpointFile} to `path` atomically (the single-file form the page reads). */
export function writeCheckpointFile(path: string, file: CheckpointFile): void {
  writeFileAtomic(path, encodeCheckpointFile(file));
}

/** Reads a single-file checkpoint; errors are {@link CheckpointError}s naming `path`. */
export function readCheckpointFile(path: string): CheckpointFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      path,
      code === "ENOENT" ? "file is missing" : `cannot read (${code})`,
    );
  }
  // A Buffer is a Uint8Array over a shared pool; the codec wants its own view.
  return decodeCheckpointFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path);
}

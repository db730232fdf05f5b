/**
 * The safetensors format (https://github.com/huggingface/safetensors), written and read by hand:
 *
 * ```
 * [u64 little-endian N] [N bytes of JSON header, space-padded] [raw little-endian tensor data]
 * header = { "<name>": { "dtype": "F64", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *            "__metadata__": { "<key>": "<string value>" } }
 * ```
 *
 * Offsets are relative to the first byte after the header. Reading validates every field and never
 * evaluates anything from the file (unlike pickle): a file is data, so a bad one gives an error
 * naming the file and the problem, never a crash. Bytes in, bytes out, with no Node API, so the
 * package root (and a browser) can use it; the file functions are in safetensors-file.ts.
 *
 * @example
 * const bytes = encodeSafetensors({ "policy.0.weight": { shape: [4, 2], data: w } }, { format: "pt" });
 * const { tensors } = decodeSafetensors(bytes, { source: "params.safetensors" });
 */

/** The element types we write; reading also accepts only these. */
export type SafetensorsDtype = "F64" | "F32";

/** One tensor to write. `data` is row-major with `prod(shape)` elements. */
export interface SafetensorsInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  /** Element type on disk (default `"F64"`, the precision of policygrad's tensors). */
  readonly dtype?: SafetensorsDtype;
}

/** One tensor read back: F64 data as a Float64Array, F32 data as a Float32Array. */
export interface SafetensorsTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: Float64Array | Float32Array;
}

export interface SafetensorsContents {
  /** In the order of their data in the file. */
  readonly tensors: Record<string, SafetensorsTensor>;
  readonly metadata: Record<string, string>;
}

export interface ReadOptions {
  /** Name of the file for error messages (default `"<buffer>"`). */
  readonly source?: string;
  /** Reject NaN and +-Infinity values, naming the tensor and the index (default false). */
  readonly checkFinite?: boolean;
}

/** A malformed or unacceptable safetensors file. `source` names the file. */
export class SafetensorsError extends Error {
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: not a valid safetensors file: ${problem}`);
    this.name = "SafetensorsError";
  }
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F64: 8, F32: 4 };
/** The reference implementation refuses headers above 100 MB; so do we (guards huge allocations). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes. Tensors are laid out in
 * the order given; the header is padded with spaces so the data starts 8-byte aligned.
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata);
  if (metaKeys.length > 0) {
    for (const k of metaKeys) {
      if (typeof metadata[k] !== "string") {
        throw new TypeError(
          `encodeSafetensors: metadata["${k}"] must be a string, got ${typeof metadata[k]}`,
        );
      }
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new Error(`encodeSafetensors: "${METADATA_KEY}" is reserved`);
    const dtype = t.dtype ?? "F64";
    if (!(dtype in ITEM_SIZE)) {
      throw new Error(
        `encodeSafetensors: tensor "${name}" has dtype ${dtype}, expected F64 or F32`,
      );
    }
    const count = checkedShapeSize(
      t.shape,
      (p) => new Error(`encodeSafetensors: tensor "${name}" ${p}`),
    );
    if (t.data.length !== count) {
      throw new Error(
        `encodeSafetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(", ")}] needs ${count}`,
      );
    }
    const end = offset + count * ITEM_SIZE[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  // DataView with explicit little-endian, so the file is the same on any host.
  let pos = 8 + padded;
  for (const [, t] of entries) {
    const dtype = t.dtype ?? "F64";
    const d = t.data;
    if (dtype === "F64") {
      for (let i = 0; i < d.length; i++, pos += 8) view.setFloat64(pos, d[i], true);
    } else {
      for (let i = 0; i < d.length; i++, pos += 4) view.setFloat32(pos, d[i], true);
    }
  }
  return out;
}

/** Parses and validates safetensors bytes; throws {@link SafetensorsError} on any problem. */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: ReadOptions = {},
): SafetensorsContents {
  const source = options.source ?? "<buffer>";
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, problem);
  };
  if (bytes.length < 8)
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    fail(
      `header length ${n64} exceeds the ${bytes.length - 8} bytes after the length prefix (truncated?)`,
    );
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n < 2) fail(`header length ${n} is too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail("header is not valid UTF-8");
  }
  if (text[0] !== "{") fail(`header must start with "{", got ${JSON.stringify(text.slice(0, 16))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    fail("header must be a JSON object");
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const entries: {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        fail(`"${METADATA_KEY}" must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string")
          fail(`"${METADATA_KEY}"."${k}" must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      fail(`${where}: entry must be an object`);
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (key !== "dtype" && key !== "shape" && key !== "data_offsets")
        fail(`${where}: unknown key "${key}"`);
    }
    const dtype = entry.dtype;
    if (typeof dtype !== "string" || !(dtype in ITEM_SIZE)) {
      fail(`${where}: dtype ${JSON.stringify(dtype)} is not supported (expected F64 or F32)`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape)) fail(`${where}: shape must be an array of non-negative integers`);
    const count = checkedShapeSize(
      shape as unknown[],
      (p) => new SafetensorsError(source, `${where}: ${p}`),
    );
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(
        `${where}: data_offsets must be [begin, end] with integers >= 0, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataLength) {
      fail(
        `${where}: data_offsets [${begin}, ${end}] beyond the ${dataLength} data bytes (truncated?)`,
      );
    }
    const itemSize = ITEM_SIZE[dtype as SafetensorsDtype];
    if (end - begin !== count * itemSize) {
      fail(
        `${where}: shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${count * itemSize} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }

  // The buffer must be covered exactly: sorted by begin, each tensor starts where the last ended
  // (no gaps a payload could hide in, no overlaps two tensors could share).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected)
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap the previous tensor`);
    if (e.begin > expected)
      fail(
        `tensor "${e.name}": gap in the data before offset ${e.begin} (previous tensor ends at ${expected})`,
      );
    expected = e.end;
  }
  if (expected !== dataLength) {
    fail(
      `tensors cover ${expected} data bytes but the file has ${dataLength} (trailing bytes or truncated)`,
    );
  }

  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    const count = (e.end - e.begin) / ITEM_SIZE[e.dtype];
    const base = dataStart + e.begin;
    let data: Float64Array | Float32Array;
    if (e.dtype === "F64") {
      const d = new Float64Array(count);
      for (let i = 0; i < count; i++) d[i] = view.getFloat64(base + 8 * i, true);
      data = d;
    } else {
      const d = new Float32Array(count);
      for (let i = 0; i < count; i++) d[i] = view.getFloat32(base + 4 * i, true);
      data = d;
    }
    if (options.checkFinite) {
      for (let i = 0; i < count; i++) {
        if (!Number.isFinite(data[i])) {
          fail(
            `tensor "${e.name}" holds ${data[i]} at flat index ${i} (a diverged or corrupted save?)`,
          );
        }
      }
    }
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data };
  }
  return { tensors, metadata };
}

function checkedShapeSize(shape: readonly unknown[], error: (problem: string) => Error): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) {
      throw error(`shape ${JSON.stringify(shape)} must hold integers >= 0`);
    }
    count *= d as number;
    if (!Number.isSafeInteger(count)) throw error(`shape ${JSON.stringify(shape)} is too large`);
  }
  return count;
}

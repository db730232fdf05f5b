/**
 * Named-parameter helpers: copy, and a JSON-safe form for checkpoints.
 */
import { fmt, type Params, parameter, shapeSize, Tensor } from "../core/tensor.ts";

/** JSON-safe parameters: shape and row-major values per name. */
export type ParamsJson = Record<string, { shape: number[]; data: number[] }>;

/** A deep copy: new parameter tensors (see `parameter`), the same values. */
export function cloneParams(params: Params): Params {
  const out: Params = {};
  for (const name of Object.keys(params))
    out[name] = parameter(params[name].data, params[name].shape.slice());
  return out;
}

/**
 * A deep copy in plain arrays, for a record that is not trained (a checkpoint). Unlike
 * {@link cloneParams} it takes no block of the SIMD kernels' memory: a run checkpoints every few
 * updates, and such a block is freed only by a FinalizationRegistry callback, which never runs
 * while the synchronous training loop holds its thread, so every checkpoint's copy stayed
 * (docs/performance.md, "Memory of a long run").
 */
export function snapshotParams(params: Params): Params {
  const out: Params = {};
  for (const name of Object.keys(params)) {
    out[name] = new Tensor(params[name].data.slice(), params[name].shape.slice());
  }
  return out;
}

export function paramsToJson(params: Params): ParamsJson {
  const out: ParamsJson = {};
  for (const name of Object.keys(params)) {
    out[name] = { shape: params[name].shape.slice(), data: Array.from(params[name].data) };
  }
  return out;
}

/** Inverse of {@link paramsToJson}; checks every entry. JSON numbers round-trip float64 exactly. */
export function paramsFromJson(json: unknown): Params {
  if (json === null || typeof json !== "object") {
    throw new Error(
      `paramsFromJson: expected an object of { shape, data } entries, got ${String(json)}`,
    );
  }
  const out: Params = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    const e = entry as { shape?: unknown; data?: unknown };
    const ok =
      Array.isArray(e?.shape) &&
      e.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      Array.isArray(e.data) &&
      e.data.every((v) => typeof v === "number") &&
      shapeSize(e.shape as number[]) === e.data.length;
    if (!ok) {
      const shape = Array.isArray(e?.shape) ? fmt(e.shape as number[]) : String(e?.shape);
      throw new Error(
        `paramsFromJson: "${name}" must be { shape: int[], data: number[] } of matching size, got shape ${shape}`,
      );
    }
    out[name] = parameter(Float64Array.from(e.data as number[]), (e.shape as number[]).slice());
  }
  return out;
}

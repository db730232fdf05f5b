/**
 * Checkpoint state as JSON, exactly. JSON.stringify turns typed arrays into index-keyed objects and NaN,
 * +-Infinity into null, and drops the sign of -0; an exact resume needs all of them back, so they
 * are tagged. Finite doubles round-trip exactly (shortest round-trip decimal, ECMA-262 Number::toString).
 */

const TYPED = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;

/** Serializes checkpoint state to JSON, tagging typed arrays (`{"$typed": ..}`) and special numbers (`{"$num": ..}`). */
export function encodeState(value: unknown): string {
  const seen = new Set<object>();
  const enc = (v: unknown, where: string): unknown => {
    if (typeof v === "number") {
      if (Number.isNaN(v)) return { $num: "NaN" };
      if (v === Infinity) return { $num: "Infinity" };
      if (v === -Infinity) return { $num: "-Infinity" };
      if (Object.is(v, -0)) return { $num: "-0" };
      return v;
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (v === undefined) return undefined;
    if (typeof v !== "object")
      throw new TypeError(`encodeState: ${where} is a ${typeof v}, which JSON cannot hold`);
    if (ArrayBuffer.isView(v)) {
      const name = v.constructor.name as TypedName;
      if (!(name in TYPED))
        throw new TypeError(`encodeState: ${where} is a ${name}, which is not supported`);
      return {
        $typed: name,
        values: Array.from(v as unknown as ArrayLike<number>, (x, i) => enc(x, `${where}[${i}]`)),
      };
    }
    if (seen.has(v)) throw new TypeError(`encodeState: ${where} is a circular reference`);
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map((x, i) => enc(x, `${where}[${i}]`) ?? null);
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const e = enc(x, `${where}.${k}`);
        if (e !== undefined) o[k] = e;
      }
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return `${JSON.stringify(enc(value, "state"))}\n`;
}

/** Inverse of {@link encodeState}. */
export function decodeState(text: string): unknown {
  const dec = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(dec);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$num === "string") {
      const special: Record<string, number> = {
        NaN: Number.NaN,
        Infinity: Infinity,
        "-Infinity": -Infinity,
        "-0": -0,
      };
      if (!(o.$num in special)) throw new Error(`unknown $num tag ${JSON.stringify(o.$num)}`);
      return special[o.$num];
    }
    if (keys.length === 2 && typeof o.$typed === "string" && Array.isArray(o.values)) {
      if (!(o.$typed in TYPED)) throw new Error(`unknown $typed tag ${JSON.stringify(o.$typed)}`);
      return TYPED[o.$typed as TypedName].from(o.values.map(dec) as number[]);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = dec(o[k]);
    return out;
  };
  return dec(JSON.parse(text));
}

/**
 * Documented configuration schemas. An algorithm declares its `Config` once, as a schema of typed
 * fields with defaults, ranges and documentation; the defaults, the validation of user input and the
 * command-line flags (one per field, with the doc as help text) are all derived from it, so a flag
 * and its field cannot disagree (CleanRL's `Args`, with the checks made explicit).
 *
 * @example
 * const schema = {
 *   lr: numberField(1e-2, "Adam step size.", { min: 0, exclusiveMin: true }),
 *   optimizer: enumField("adam", ["adam", "sgd"] as const, "Which optimizer."),
 * } satisfies ConfigSchema;
 * type Cfg = ConfigOf<typeof schema>; // { lr: number; optimizer: "adam" | "sgd" }
 * const cfg = resolveConfig(schema, { lr: 3e-3 }, "ReinforceConfig");
 */

interface FieldBase<K extends string, T> {
  readonly kind: K;
  readonly default: T;
  /** One or two sentences; shown as the CLI help text. */
  readonly doc: string;
}

/** A real number in an optional range. `nullable` fields also accept `null` ("off"). */
export interface NumberField extends FieldBase<"number", number | null> {
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
  readonly nullable?: boolean;
  /** What null does, for help and errors: default "to turn it off". */
  readonly nullMeans?: string;
}
export interface IntField extends FieldBase<"int", number> {
  readonly min?: number;
  readonly max?: number;
}
export type BooleanField = FieldBase<"boolean", boolean>;
export interface EnumField<C extends string = string> extends FieldBase<"enum", C> {
  readonly choices: readonly C[];
}
/** A list of integers, such as hidden layer sizes (`[64, 64]`; `[]` allowed when `minLength` is 0). */
export interface IntListField extends FieldBase<"int-list", readonly number[]> {
  readonly min?: number;
  readonly minLength?: number;
}

export type Field = NumberField | IntField | BooleanField | EnumField | IntListField;
export type ConfigSchema = Readonly<Record<string, Field>>;

/** The plain config type a schema describes. */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends EnumField<infer C>
    ? C
    : S[K] extends NumberField
      ? S[K]["nullable"] extends true
        ? number | null
        : number
      : S[K] extends IntListField
        ? readonly number[]
        : S[K]["default"];
};

type Range = { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean };

export function numberField(
  def: number,
  doc: string,
  range: Range = {},
): NumberField & { nullable?: false } {
  return { kind: "number", default: def, doc, ...range };
}
export function nullableNumberField(
  def: number | null,
  doc: string,
  range: Range & { nullMeans?: string } = {},
): NumberField & { nullable: true } {
  return { kind: "number", default: def, doc, nullable: true, ...range };
}
export function intField(
  def: number,
  doc: string,
  range: { min?: number; max?: number } = {},
): IntField {
  return { kind: "int", default: def, doc, ...range };
}
export function booleanField(def: boolean, doc: string): BooleanField {
  return { kind: "boolean", default: def, doc };
}
export function enumField<const C extends string>(
  def: NoInfer<C>,
  choices: readonly C[],
  doc: string,
): EnumField<C> {
  return { kind: "enum", default: def, doc, choices };
}
export function intListField(
  def: readonly number[],
  doc: string,
  opts: { min?: number; minLength?: number } = {},
): IntListField {
  return { kind: "int-list", default: def, doc, ...opts };
}

/** The allowed values of a field in words, for error and help messages. */
export function describeField(field: Field): string {
  switch (field.kind) {
    case "number":
    case "int": {
      const what = field.kind === "int" ? "an integer" : "a number";
      const lo =
        field.min === undefined
          ? ""
          : `${field.kind === "number" && field.exclusiveMin ? ">" : ">="} ${field.min}`;
      const hi =
        field.max === undefined
          ? ""
          : `${field.kind === "number" && field.exclusiveMax ? "<" : "<="} ${field.max}`;
      const range = [lo, hi].filter(Boolean).join(" and ");
      const nul =
        field.kind === "number" && field.nullable
          ? ` (or null ${field.nullMeans ?? "to turn it off"})`
          : "";
      return `${what}${range ? ` ${range}` : ""}${nul}`;
    }
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${field.choices.join(", ")}`;
    case "int-list":
      return `a list of integers${field.min === undefined ? "" : ` >= ${field.min}`}${
        field.minLength ? ` with at least ${field.minLength} entries` : ""
      }`;
  }
}

/** Error thrown for a bad config value; `field` is the offending field name. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
    owner: string,
  ) {
    super(`${owner}.${field}: got ${formatValue(value)}, expected ${expected}`);
    this.name = "ConfigError";
  }
}

function formatValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** Checks one value against its field; returns the value or throws {@link ConfigError}. */
export function checkField(name: string, field: Field, value: unknown, owner: string): unknown {
  const bad = (): never => {
    throw new ConfigError(name, value, describeField(field), owner);
  };
  switch (field.kind) {
    case "number":
    case "int": {
      if (value === null && field.kind === "number" && field.nullable) return null;
      if (typeof value !== "number" || !Number.isFinite(value)) bad();
      const v = value as number;
      if (field.kind === "int" && !Number.isInteger(v)) bad();
      const exMin = field.kind === "number" && field.exclusiveMin;
      const exMax = field.kind === "number" && field.exclusiveMax;
      if (field.min !== undefined && (exMin ? v <= field.min : v < field.min)) bad();
      if (field.max !== undefined && (exMax ? v >= field.max : v > field.max)) bad();
      return v;
    }
    case "boolean":
      if (typeof value !== "boolean") bad();
      return value;
    case "enum":
      if (typeof value !== "string" || !field.choices.includes(value)) bad();
      return value;
    case "int-list": {
      if (!Array.isArray(value)) bad();
      const list = value as unknown[];
      if (list.length < (field.minLength ?? 0)) bad();
      for (const x of list) {
        if (typeof x !== "number" || !Number.isInteger(x)) bad();
        if (field.min !== undefined && (x as number) < field.min) bad();
      }
      return [...(list as number[])];
    }
  }
}

/** The schema's defaults as a config object. */
export function defaultConfig<S extends ConfigSchema>(schema: S): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(schema)) {
    out[k] = Array.isArray(f.default) ? [...f.default] : f.default;
  }
  return out as ConfigOf<S>;
}

/**
 * Defaults overlaid with `overrides`, every field checked. Unknown keys are errors (a typo must not
 * silently fall back to a default).
 *
 * @param owner the config's name for messages, e.g. `"ReinforceConfig"`.
 */
export function resolveConfig<S extends ConfigSchema>(
  schema: S,
  overrides: Readonly<Record<string, unknown>> = {},
  owner = "config",
): ConfigOf<S> {
  if (overrides === null || typeof overrides !== "object") {
    throw new TypeError(`${owner}: expected an object of overrides, got ${formatValue(overrides)}`);
  }
  for (const key of Object.keys(overrides)) {
    if (!(key in schema)) {
      throw new ConfigError(
        key,
        overrides[key],
        `a known field (${Object.keys(schema).join(", ")})`,
        owner,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(schema)) {
    const v = k in overrides && overrides[k] !== undefined ? overrides[k] : f.default;
    out[k] = checkField(k, f, v, owner);
  }
  return out as ConfigOf<S>;
}

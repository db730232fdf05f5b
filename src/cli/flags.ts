/**
 * Command-line flags derived from a config schema: one `--kebab-case` flag per field, its doc as the
 * help text, its value parsed by the field's kind and checked against the field's range, so a flag
 * and its field cannot disagree (STYLE principle 9).
 *
 * Value syntax: numbers as JS literals (`3e-4`, `1_000`); `null`, `off` or `none` for nullable
 * numbers; int lists as `64,64` (or `[64, 64]`, and `[]`/`none` for the empty list); booleans as
 * `--x` / `--no-x`; enums by name.
 */
import { type Command, Option } from "commander";
import {
  ConfigError,
  type ConfigSchema,
  checkField,
  describeField,
  type Field,
} from "../config/schema.ts";

/** A bad command line (unknown flag or command, bad value): exit code 2 with the usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage line of the command concerned, printed after the message. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** `hiddenSizes` -> `hidden-sizes`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `--hidden-sizes` for field `hiddenSizes`. */
export function flagOf(field: string): string {
  return `--${kebab(field)}`;
}

/** The field's value in flag syntax, for help text (`[64, 64]` -> `64,64`). */
export function formatFlagValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "[]" : value.join(",");
  return String(value);
}

const NULL_WORDS = new Set(["null", "off", "none"]);
/** Stands for null inside commander, which treats a null option value as "no value given". */
const NULL_VALUE = Symbol("null");

/**
 * Parses one flag value for `field`, checked against its range.
 * @throws UsageError naming the flag, the value and the allowed values.
 */
export function parseFlagValue(name: string, field: Field, raw: string): unknown {
  const bad = (): never => {
    throw new UsageError(
      `invalid value ${JSON.stringify(raw)} for ${flagOf(name)}: expected ${describeField(field)}`,
    );
  };
  const s = raw.trim();
  let value: unknown;
  switch (field.kind) {
    case "number":
    case "int":
      if (field.kind === "number" && field.nullable && NULL_WORDS.has(s.toLowerCase())) {
        value = null;
        break;
      }
      value = parseNumber(s);
      if (value === undefined) bad();
      break;
    case "boolean": {
      const t = s.toLowerCase();
      if (t === "true" || t === "1" || t === "yes" || t === "on") value = true;
      else if (t === "false" || t === "0" || t === "no" || t === "off") value = false;
      else bad();
      break;
    }
    case "enum":
      value = s;
      break;
    case "int-list": {
      const inner = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1).trim() : s;
      if (inner === "" || inner.toLowerCase() === "none") value = [];
      else {
        const items = inner.split(",").map((x) => parseNumber(x.trim()));
        if (items.some((x) => x === undefined)) bad();
        value = items;
      }
      break;
    }
  }
  try {
    return checkField(name, field, value, "flag");
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new UsageError(
        `invalid value ${JSON.stringify(raw)} for ${flagOf(name)}: expected ${e.expected}`,
      );
    }
    return bad();
  }
}

/** A finite number written as a JS numeric literal (underscores allowed), else undefined. */
function parseNumber(s: string): number | undefined {
  const t = s.replace(/_/g, "");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Adds one option per schema field to `cmd` (booleans get `--x` and a hidden `--no-x`). No
 * defaults are set in commander, so {@link collectOverrides} sees only what the user typed.
 */
export function addConfigOptions(cmd: Command, schema: ConfigSchema, heading: string): void {
  for (const [name, field] of Object.entries(schema)) {
    const flag = flagOf(name);
    const help = `${field.doc} [default: ${formatFlagValue(field.default)}]`;
    if (field.kind === "boolean") {
      cmd.addOption(
        new Option(flag, `${help} (--no-${kebab(name)} to turn off)`).helpGroup(heading),
      );
      cmd.addOption(new Option(`--no-${kebab(name)}`).hideHelp().helpGroup(heading));
      continue;
    }
    const placeholder =
      field.kind === "enum"
        ? field.choices.join("|")
        : field.kind === "int-list"
          ? "n,n,..."
          : field.kind === "int"
            ? "int"
            : field.nullable
              ? "number|null"
              : "number";
    const allowed = field.kind === "enum" ? "" : ` (${describeField(field)})`;
    cmd.addOption(
      new Option(`${flag} <${placeholder}>`, `${help}${allowed}`)
        .argParser((raw: string) => parseFlagValue(name, field, raw) ?? NULL_VALUE)
        .helpGroup(heading),
    );
  }
}

/** The schema fields the user set on the command line, as config overrides. */
export function collectOverrides(
  schema: ConfigSchema,
  opts: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema)) {
    // commander's attribute name for --hidden-sizes is hiddenSizes: the field name itself.
    if (opts[name] !== undefined) out[name] = opts[name] === NULL_VALUE ? null : opts[name];
  }
  return out;
}

// Parsers for the value syntaxes shared by CLI keys and JSON keys. Each throws a plain string describing the
// problem; callers wrap it in a ConfigError that names the flag and key.
import { InvalidValue } from "../errors.ts";

/** `5`, `1.5`, `500ms`, `2s` → milliseconds. `unit` is what a bare number means (Apache: seconds). */
export function parseDuration(text: string, unit: "s" | "ms"): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new InvalidValue(`"${text}" is not a duration (seconds, or milliseconds with an "ms" suffix)`);
  const n = Number(m[1]);
  const ms = (m[2] ?? unit) === "ms" ? n : n * 1000;
  if (!(ms >= 1)) throw new InvalidValue(`"${text}" must be at least 1 ms`);
  return Math.round(ms);
}

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `1048576`, `512k`, `10m`, `1g` (binary multiples) → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(text.trim());
  if (!m) throw new InvalidValue(`"${text}" is not a size (bytes, or a number with a k, m or g suffix)`);
  return Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
}

export function parseOnOff(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === "on" || t === "true") return true;
  if (t === "off" || t === "false") return false;
  throw new InvalidValue(`"${text}" must be on or off`);
}

export function parseChoice<T extends string>(text: string, choices: readonly T[], caseInsensitive = false): T {
  const t = caseInsensitive ? text.trim().toUpperCase() : text.trim();
  const hit = choices.find((c) => (caseInsensitive ? c.toUpperCase() : c) === t);
  if (hit === undefined) throw new InvalidValue(`"${text}" must be one of ${choices.join(", ")}`);
  return hit;
}

/** JSON values for simple keys may be strings, numbers or booleans; they are read as CLI text. */
export function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return value ? "on" : "off";
  throw new InvalidValue(`expected a string, number or boolean, got ${value === null ? "null" : typeof value}`);
}

/** A whole number within [min, max]. */
export function parseCount(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < min || n > max) {
    throw new InvalidValue(`"${text}" must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}`);
  }
  return n;
}

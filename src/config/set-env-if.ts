// Compiles `set-env-if` rules (the place of Apache's ProxyFCGISetEnvIf; rules run after the standard
// variables are built). JSON only: `{ "if": { "var" | "header": NAME, "matches": REGEX },
// "set": { NAME: VALUE }, "unset": [NAME] }`; "if" left out means always.
import { InvalidValue } from "../errors.ts";
import type { SetEnvIfRule } from "./types.ts";

export function compileSetEnvIf(value: unknown, where: string): SetEnvIfRule[] {
  if (!Array.isArray(value)) throw new InvalidValue(`${where}: must be a list of rules`);
  return value.map((raw, i) => compileRule(raw, `${where}[${i}]`));
}

function compileRule(raw: unknown, where: string): SetEnvIfRule {
  if (!isObject(raw)) throw new InvalidValue(`${where}: must be an object`);
  for (const k of Object.keys(raw)) {
    if (k !== "if" && k !== "set" && k !== "unset") throw new InvalidValue(`${where}: unknown key "${k}" (expected if, set, unset)`);
  }
  const set = raw.set === undefined ? [] : stringEntries(raw.set, `${where}.set`);
  const unset = raw.unset === undefined ? [] : stringList(raw.unset, `${where}.unset`);
  for (const [name] of set) checkVarName(name, `${where}.set`);
  for (const name of unset) checkVarName(name, `${where}.unset`);
  if (set.length === 0 && unset.length === 0) throw new InvalidValue(`${where}: needs "set" or "unset"`);
  if (raw.if === undefined) return { set, unset };
  const cond = raw.if;
  if (!isObject(cond)) throw new InvalidValue(`${where}.if: must be an object`);
  const hasVar = typeof cond.var === "string";
  const hasHeader = typeof cond.header === "string";
  if (hasVar === hasHeader) throw new InvalidValue(`${where}.if: needs exactly one of "var" or "header" (a string)`);
  if (typeof cond.matches !== "string") throw new InvalidValue(`${where}.if.matches: must be a regular expression string`);
  let matches: RegExp;
  try {
    matches = new RegExp(cond.matches);
  } catch (e) {
    throw new InvalidValue(`${where}.if.matches: ${(e as Error).message}`);
  }
  const name = (hasVar ? cond.var : cond.header) as string;
  return { if: { source: hasVar ? "var" : "header", name: hasVar ? name : name.toLowerCase(), matches }, set, unset };
}

function checkVarName(name: string, where: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new InvalidValue(`${where}: "${name}" is not a valid variable name`);
}

function stringEntries(v: unknown, where: string): Array<[string, string]> {
  if (!isObject(v)) throw new InvalidValue(`${where}: must be an object of NAME: VALUE strings`);
  return Object.entries(v).map(([k, val]) => {
    if (typeof val !== "string") throw new InvalidValue(`${where}.${k}: must be a string`);
    return [k, val];
  });
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new InvalidValue(`${where}: must be a list of names`);
  return v as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// The JSON config file: `{ "listen", "document-root", "routes": [ { "path", "target", ...route keys,
// "env": {...}, "set-env-if": [...] } ] }`, validated with errors that name the path in the file.
import { ConfigError, InvalidValue } from "../errors.ts";
import { BalancerSet, buildMember } from "./balancers.ts";
import { buildRoute } from "./proxy-pass.ts";
import { buildSite } from "./site.ts";
import { applyRouteKey } from "./route-keys.ts";
import { compileSetEnvIf } from "./set-env-if.ts";
import type { RouteConfig } from "./types.ts";
import { parseChoice, parseSize, scalarText } from "./values.ts";
import { parseListen, type ListenAddress } from "./listen.ts";
import { parseAppsJson } from "./apps.ts";
import type { AppConfig } from "../apps/types.ts";

export interface FileConfig {
  listen?: ListenAddress;
  documentRoot?: string;
  routes: RouteConfig[];
  balancers: BalancerSet;
  maxHeadLine?: number;
  logLevel?: "info" | "warn" | "error";
  maxHead?: number;
  /** Supervised FastCGI apps (`"apps": { NAME: {...} }`). */
  apps: AppConfig[];
}

const TOP_KEYS = ["listen", "document-root", "routes", "balancers", "apps", "max-head-line", "max-head", "log-level"];

/** The config file's text → a FileConfig; errors name `file` and the path inside it. */
export function parseJsonConfig(text: string, file: string): FileConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, `not valid JSON: ${(e as Error).message}`);
  }
  return readJsonConfig(doc, file);
}

/**
 * The config's JSON value (already parsed, or an object literal) → a FileConfig; errors name `file`. Keys whose
 * value is undefined count as absent, as they would in the JSON text of the object.
 */
export function readJsonConfig(value: unknown, file: string): FileConfig {
  const doc = withoutUndefined(value);
  if (!isObject(doc)) throw new ConfigError(file, "the top level must be an object");
  for (const k of Object.keys(doc)) {
    if (!TOP_KEYS.includes(k)) throw new ConfigError(`${file}: ${k}`, `unknown key (known: ${TOP_KEYS.join(", ")})`);
  }
  const out: FileConfig = { routes: [], balancers: new BalancerSet(), apps: [] };
  const at = (path: string) => `${file}: ${path}`;
  if (doc.listen !== undefined) out.listen = wrap(at("listen"), () => parseListen(scalarText(doc.listen)));
  if (doc["document-root"] !== undefined) {
    const root = doc["document-root"];
    if (typeof root !== "string" || !root.startsWith("/")) throw new ConfigError(at("document-root"), "must be an absolute path");
    out.documentRoot = root;
  }
  if (doc["max-head-line"] !== undefined) out.maxHeadLine = wrap(at("max-head-line"), () => parseSize(scalarText(doc["max-head-line"])));
  if (doc["log-level"] !== undefined) out.logLevel = wrap(at("log-level"), () => parseChoice(scalarText(doc["log-level"]), ["info", "warn", "error"] as const));
  if (doc["max-head"] !== undefined) out.maxHead = wrap(at("max-head"), () => parseSize(scalarText(doc["max-head"])));
  if (doc.apps !== undefined) out.apps = parseAppsJson(doc.apps, at("apps"));
  if (doc.balancers !== undefined) parseBalancers(doc.balancers, at("balancers"), out.balancers);
  if (doc.routes !== undefined) {
    if (!Array.isArray(doc.routes)) throw new ConfigError(at("routes"), "must be a list");
    out.routes = doc.routes.map((r, i) => parseRoute(r, at(`routes[${i}]`)));
  }
  return out;
}

function parseRoute(raw: unknown, where: string): RouteConfig {
  if (!isObject(raw)) throw new ConfigError(where, "must be an object");
  if (typeof raw.path !== "string") throw new ConfigError(`${where}.path`, "required, a string such as \"/php/\"");
  if (raw.root !== undefined) return parseSiteRoute(raw, where);
  if (typeof raw.target !== "string") throw new ConfigError(`${where}.target`, "required, a string such as \"fcgi://127.0.0.1:9000/srv/app/\"");
  const balanced = /^balancer:/i.test(raw.target);
  return buildRoute(raw.path, raw.target, [], where, (draft) => {
    for (const [key, value] of Object.entries(raw)) {
      if (key === "path" || key === "target") continue;
      if (key === "env") {
        draft.env = wrap(`${where}.env`, () => envEntries(value));
      } else if (key === "set-env-if") {
        draft.setEnvIf = wrap(`${where}.set-env-if`, () => compileSetEnvIf(value, "rules"));
      } else {
        wrap(`${where}.${key}`, () => applyRouteKey(draft, key, scalarText(value), balanced));
      }
    }
  });
}

/** A route with `root`: a site. List-valued site keys may be arrays; `alias` may be an array of `PREFIX:DIR`. */
function parseSiteRoute(raw: Record<string, unknown>, where: string): RouteConfig {
  if (typeof raw.root !== "string" || raw.root === "") throw new ConfigError(`${where}.root`, "must be a path (the document root)");
  if (typeof raw.target !== "string") throw new ConfigError(`${where}.target`, 'required: the backend for scripts, such as "fcgi://127.0.0.1:9000", or "none"');
  const keys: Array<readonly [string, string]> = [];
  const special: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key === "path" || key === "target" || key === "root") continue;
    if (key === "env" || key === "set-env-if") {
      special.push([key, value]);
    } else if (Array.isArray(value)) {
      const texts = value.map((v, i) => wrap(`${where}.${key}[${i}]`, () => scalarText(v)));
      if (key === "alias") for (const t of texts) keys.push([key, t]);
      else keys.push([key, texts.join(",")]);
    } else {
      keys.push([key, wrap(`${where}.${key}`, () => scalarText(value))]);
    }
  }
  return buildSite(raw.path as string, raw.root, raw.target, keys, where, undefined, (draft) => {
    for (const [key, value] of special) {
      if (key === "env") draft.env = wrap(`${where}.env`, () => envEntries(value));
      else draft.setEnvIf = wrap(`${where}.set-env-if`, () => compileSetEnvIf(value, "rules"));
    }
  });
}

/** `"balancers": { "name": { ...balancer keys, "members": [ { "url", ...member keys } ] } }` */
function parseBalancers(raw: unknown, where: string, into: BalancerSet): void {
  if (!isObject(raw)) throw new ConfigError(where, "must be an object of balancer names");
  for (const [name, spec] of Object.entries(raw)) {
    const at = `${where}.${name}`;
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError(at, "a balancer name has letters, digits, . _ - only");
    if (!isObject(spec)) throw new ConfigError(at, "must be an object");
    const lower = name.toLowerCase();
    for (const [key, value] of Object.entries(spec)) {
      if (key === "members") continue;
      into.set(lower, key, wrap(`${at}.${key}`, () => scalarText(value)), `${at}.${key}`);
    }
    if (!Array.isArray(spec.members) || spec.members.length === 0) throw new ConfigError(`${at}.members`, "required, a non-empty list");
    spec.members.forEach((m, i) => {
      const mat = `${at}.members[${i}]`;
      if (!isObject(m) || typeof m.url !== "string") throw new ConfigError(`${mat}.url`, "required, a string such as \"fcgi://127.0.0.1:9000/srv/app/\"");
      const keys = Object.entries(m).filter(([k]) => k !== "url").map(([k, v]) => [k, wrap(`${mat}.${k}`, () => scalarText(v))] as const);
      into.addMember(lower, buildMember(m.url, keys, mat));
    });
  }
}

function envEntries(v: unknown): Array<[string, string]> {
  if (!isObject(v)) throw new InvalidValue("must be an object of NAME: VALUE strings");
  return Object.entries(v).map(([k, val]) => {
    if (typeof val !== "string") throw new InvalidValue(`${k}: must be a string`);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k)) throw new InvalidValue(`"${k}" is not a valid variable name`);
    return [k, val];
  });
}

function wrap<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (problem) {
    throw ConfigError.at(where, problem);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy without undefined-valued keys (what JSON.stringify leaves out); other values as they are. */
function withoutUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = withoutUndefined(x);
  return out;
}

// The `key=value` vocabulary of a route, shared by `--proxy-pass` flags and JSON route objects (one name, one
// meaning, one parser). Pool keys come from pool-keys.ts; a route to balancer:// leaves them to its members.
import { InvalidValue } from "../errors.ts";
import type { RouteOptions } from "./types.ts";
import { POOL_KEYS, writtenPoolKey } from "./pool-keys.ts";
import { parseChoice, parseDuration, parseOnOff, parseSize } from "./values.ts";

export type MutableRouteOptions = { -readonly [K in keyof RouteOptions]: RouteOptions[K] };

type KeyParser = (draft: MutableRouteOptions, text: string) => void;

const OWN_KEYS: Readonly<Record<string, KeyParser>> = {
  // Apache: io (inactivity) timeout in seconds.
  timeout: (d, t) => { d.ioTimeoutMs = parseDuration(t, "s"); },
  // Apache: seconds by default, `ms` suffix allowed.
  connectiontimeout: (d, t) => { d.connectTimeoutMs = parseDuration(t, "s"); },
  "backend-type": (d, t) => { d.backendType = parseChoice(t, ["FPM", "GENERIC"] as const, true); },
  "path-info": (d, t) => {
    d.pathInfo = parseChoice(t, ["none", "first-dot", "last-dot", "unescape", "full"] as const);
  },
  "document-root": (d, t) => {
    if (!t.startsWith("/")) throw new InvalidValue(`"${t}" must be an absolute path`);
    d.documentRoot = t;
  },
  "pass-authorization": (d, t) => { d.passAuthorization = parseOnOff(t); },
  "request-buffering": (d, t) => { d.requestBuffering = parseChoice(t, ["spool", "stream"] as const); },
  "max-body": (d, t) => { d.maxBody = parseSize(t); },
};

export const ROUTE_KEYS: Readonly<Record<string, KeyParser>> = { ...OWN_KEYS, ...POOL_KEYS };

/** Applies one key; throws a string naming the problem. `balanced`: the route targets balancer://. */
export function applyRouteKey(draft: MutableRouteOptions, key: string, text: string, balanced = false): void {
  const table = balanced ? OWN_KEYS : ROUTE_KEYS;
  const parser = Object.hasOwn(table, key) ? table[key] : undefined;
  if (!parser && balanced && Object.hasOwn(POOL_KEYS, key)) {
    throw new InvalidValue(`key "${key}" belongs on the balancer's members (--balancer-member), not on a balancer:// route`);
  }
  if (!parser) throw new InvalidValue(`unknown key "${key}" (known: ${Object.keys(table).join(", ")})`);
  try {
    parser(draft, text);
    if (Object.hasOwn(POOL_KEYS, key)) draft.poolKeys = [...draft.poolKeys, writtenPoolKey(key, text)];
  } catch (problem) {
    throw new InvalidValue(`key "${key}": ${problem instanceof Error ? problem.message : String(problem)}`);
  }
}

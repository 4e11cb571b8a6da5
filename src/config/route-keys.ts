// The `key=value` vocabulary of a route, shared by `--proxy-pass` flags and JSON route objects (one name, one
// meaning, one parser). Pool and balancer keys join this table in their own issue.
import type { RouteOptions } from "./types.ts";
import { parseChoice, parseDuration, parseOnOff, parseSize } from "./values.ts";

export type MutableRouteOptions = { -readonly [K in keyof RouteOptions]: RouteOptions[K] };

type KeyParser = (draft: MutableRouteOptions, text: string) => void;

export const ROUTE_KEYS: Readonly<Record<string, KeyParser>> = {
  // Apache: io (inactivity) timeout in seconds.
  timeout: (d, t) => { d.ioTimeoutMs = parseDuration(t, "s"); },
  // Apache: seconds by default, `ms` suffix allowed.
  connectiontimeout: (d, t) => { d.connectTimeoutMs = parseDuration(t, "s"); },
  "backend-type": (d, t) => { d.backendType = parseChoice(t, ["FPM", "GENERIC"] as const, true); },
  "path-info": (d, t) => {
    d.pathInfo = parseChoice(t, ["none", "first-dot", "last-dot", "unescape", "full"] as const);
  },
  "document-root": (d, t) => {
    if (!t.startsWith("/")) throw `"${t}" must be an absolute path`;
    d.documentRoot = t;
  },
  "pass-authorization": (d, t) => { d.passAuthorization = parseOnOff(t); },
  "request-buffering": (d, t) => { d.requestBuffering = parseChoice(t, ["spool", "stream"] as const); },
  "max-body": (d, t) => { d.maxBody = parseSize(t); },
};

/** Applies one key; throws a string naming the problem. */
export function applyRouteKey(draft: MutableRouteOptions, key: string, text: string): void {
  const parser = Object.hasOwn(ROUTE_KEYS, key) ? ROUTE_KEYS[key] : undefined;
  if (!parser) throw `unknown key "${key}" (known: ${Object.keys(ROUTE_KEYS).join(", ")})`;
  try {
    parser(draft, text);
  } catch (problem) {
    throw `key "${key}": ${problem instanceof Error ? problem.message : String(problem)}`;
  }
}

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
  // Pool keys (Apache's worker parameters). Reuse is on by default: a deliberate difference from Apache 2.4,
  // whose fcgi workers reuse only with enablereuse=on.
  enablereuse: (d, t) => { d.pool = { ...d.pool, reuse: parseOnOff(t) }; },
  disablereuse: (d, t) => { d.pool = { ...d.pool, reuse: !parseOnOff(t), ...(parseOnOff(t) ? { probe: false } : {}) }; },
  max: (d, t) => { d.pool = { ...d.pool, max: parseCount(t, 1) }; },
  smax: (d, t) => { d.pool = { ...d.pool, smax: parseCount(t, 0) }; },
  ttl: (d, t) => { d.pool = { ...d.pool, ttlMs: parseDuration(t, "s") }; },
  acquire: (d, t) => { d.pool = { ...d.pool, acquireMs: parseDuration(t, "ms") }; },
  // Acts on balancer members only (Apache never puts a lone worker in error); also paces GET_VALUES retries.
  retry: (d, t) => { d.pool = { ...d.pool, retryMs: t.trim() === "0" ? 0 : parseDuration(t, "s") }; },
  "mpx-max": (d, t) => { d.pool = { ...d.pool, mpxMax: parseCount(t, 1) }; },
  // Accepted for Apache compatibility; responses always stream unbuffered, so there is nothing to flush.
  flushpackets: (_d, t) => { parseChoice(t, ["on", "off", "auto"] as const); },
  flushwait: (_d, t) => { parseCount(t, 0, 1000); },
};

function parseCount(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw `"${text}" must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}`;
  return n;
}

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

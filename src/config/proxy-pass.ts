// `--proxy-pass "/prefix/ fcgi://127.0.0.1:9000/srv/app/ key=value ..."`, Apache's ProxyPass syntax.
import { ConfigError } from "../errors.ts";
import { applyRouteKey, type MutableRouteOptions } from "./route-keys.ts";
import { parseRouteTarget } from "./target.ts";
import { ROUTE_DEFAULTS, type RouteConfig } from "./types.ts";

/**
 * One `--proxy-pass` line (`"PREFIX TARGET [key=value ...]"`, Apache's ProxyPass with its worker keys) → a
 * RouteConfig. Throws a ConfigError naming `where` (default: the flag and the line).
 *
 * ```ts
 * parseProxyPass("/app/ fcgi://127.0.0.1:9000/srv/app/ timeout=30 max=8");
 * ```
 */
export function parseProxyPass(line: string, where = `--proxy-pass "${line}"`): RouteConfig {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length < 2) throw new ConfigError(where, "expected a path prefix and a target");
  const [prefix, targetText, ...keys] = words as [string, string, ...string[]];
  return buildRoute(prefix, targetText, keys.map((word) => {
    const eq = word.indexOf("=");
    // Bare flags such as `nocanon` change how Apache encodes paths; we do not support them, so say so.
    if (eq <= 0) throw new ConfigError(where, `"${word}" is not a key=value pair (flags such as nocanon are not supported)`);
    return [word.slice(0, eq).toLowerCase(), word.slice(eq + 1)] as const;
  }), where);
}

/** A route from its prefix, target and key/value pairs (CLI words or JSON properties as text). */
export function buildRoute(
  prefix: string,
  targetText: string,
  keys: ReadonlyArray<readonly [string, string]>,
  where: string,
  apply?: (draft: MutableRouteOptions) => void,
): RouteConfig {
  if (!prefix.startsWith("/")) throw new ConfigError(where, `path "${prefix}" must start with "/"`);
  try {
    const target = parseRouteTarget(targetText);
    const draft: MutableRouteOptions = { ...ROUTE_DEFAULTS };
    for (const [k, v] of keys) applyRouteKey(draft, k, v, target.kind === "balancer");
    apply?.(draft);
    return { ...draft, prefix: prefix.replace(/\/{2,}/g, "/"), target };
  } catch (problem) {
    throw ConfigError.at(where, problem);
  }
}

// `--proxy-pass "/prefix/ fcgi://127.0.0.1:9000/srv/app/ key=value ..."`, Apache's ProxyPass syntax.
import { ConfigError } from "./errors.ts";
import { applyRouteKey, type MutableRouteOptions } from "./route-keys.ts";
import { parseTarget } from "./target.ts";
import { ROUTE_DEFAULTS, type RouteConfig } from "./types.ts";

export function parseProxyPass(line: string, where = `--proxy-pass "${line}"`): RouteConfig {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length < 2) throw new ConfigError(where, "expected a path prefix and a target");
  const [prefix, targetText, ...keys] = words as [string, string, ...string[]];
  const draft: MutableRouteOptions = { ...ROUTE_DEFAULTS };
  for (const word of keys) {
    const eq = word.indexOf("=");
    // Bare flags such as `nocanon` change how Apache encodes paths; we do not support them, so say so.
    if (eq <= 0) throw new ConfigError(where, `"${word}" is not a key=value pair (flags such as nocanon are not supported)`);
    try {
      applyRouteKey(draft, word.slice(0, eq).toLowerCase(), word.slice(eq + 1));
    } catch (problem) {
      throw new ConfigError(where, String(problem));
    }
  }
  return buildRoute(prefix, targetText, draft, where);
}

export function buildRoute(prefix: string, targetText: string, options: MutableRouteOptions, where: string): RouteConfig {
  if (!prefix.startsWith("/")) throw new ConfigError(where, `path "${prefix}" must start with "/"`);
  try {
    return { ...options, prefix: prefix.replace(/\/{2,}/g, "/"), target: parseTarget(targetText) };
  } catch (problem) {
    throw new ConfigError(where, String(problem));
  }
}

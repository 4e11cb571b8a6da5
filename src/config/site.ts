// `--site "URL-PATH ROOT BACKEND [key=value ...]"` and JSON routes with `root`: a route that serves files from
// a document root and sends scripts to its backend (or to nothing: BACKEND `none`). Route keys (timeouts,
// pool keys, max-body, env...) apply as on --proxy-pass; site keys are in site-keys.ts.
import { ConfigError, InvalidValue } from "../errors.ts";
import { applyRouteKey, type MutableRouteOptions } from "./route-keys.ts";
import { applySiteKey, isSiteKey, refusedOnSite, siteDefaults } from "./site-keys.ts";
import { parseRouteTarget } from "./target.ts";
import { ROUTE_DEFAULTS, type RouteConfig, type RouteTarget } from "./types.ts";

/** The working directory a relative ROOT resolves against, where the runtime has one (not on Workers). */
function workingDirectory(): string | null {
  const p = (globalThis as { process?: { cwd?: () => string } }).process;
  try {
    return p?.cwd?.() ?? null;
  } catch {
    return null;
  }
}

/**
 * One `--site` line → a RouteConfig with its `site`. Throws a ConfigError naming `where`.
 *
 * ```ts
 * parseSite("/ /srv/app fcgi://127.0.0.1:9000 try-files={path},/index.php expires=*.css:7d");
 * ```
 */
export function parseSite(line: string, where = `--site "${line}"`, cwd: string | null = workingDirectory()): RouteConfig {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length < 3) throw new ConfigError(where, "expected URL-PATH ROOT BACKEND (BACKEND: fcgi://HOST:PORT, unix:/path|fcgi://localhost, or none)");
  const [prefix, root, backend, ...keys] = words as [string, string, string, ...string[]];
  return buildSite(prefix, root, backend, keys.map((word) => {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new ConfigError(where, `"${word}" is not a key=value pair`);
    return [word.slice(0, eq).toLowerCase(), word.slice(eq + 1)] as const;
  }), where, cwd);
}

/** A site route from its parts; keys are route keys or site keys, as text (JSON arrays already joined by commas). */
export function buildSite(
  prefix: string,
  rootText: string,
  backendText: string,
  keys: ReadonlyArray<readonly [string, string]>,
  where: string,
  cwd: string | null = workingDirectory(),
  apply?: (draft: MutableRouteOptions) => void,
): RouteConfig {
  if (!prefix.startsWith("/")) throw new ConfigError(where, `path "${prefix}" must start with "/"`);
  try {
    const root = absoluteRoot(rootText, cwd);
    const backend = backendText.toLowerCase();
    // `php-fpm`: the site's own php-fpm, started by the gateway (config/apps.ts IMPLICIT_FPM_APP).
    const target: RouteTarget = backend === "none" ? { kind: "none", text: "none" } : parseRouteTarget(backend === "php-fpm" ? "app:php-fpm" : backendText);
    if (target.kind === "fcgi" && target.path !== "" && target.path !== "/") {
      throw new InvalidValue(`the backend ${target.text} has a path; a site's scripts are found under its root (${root}): write ${target.text.slice(0, target.text.length - target.path.length)}`);
    }
    const site = siteDefaults(root, target.kind !== "none");
    const draft: MutableRouteOptions = { ...ROUTE_DEFAULTS, documentRoot: root };
    const written = new Set<string>();
    for (const [k, v] of keys) {
      if (isSiteKey(k) || refusedOnSite(k)) applySiteKey(site, k, v, written);
      else applyRouteKey(draft, k, v, target.kind === "balancer");
    }
    apply?.(draft);
    const normalised = prefix.replace(/\/{2,}/g, "/");
    // A site at /blog answers /blog (with a redirect to /blog/) as well as everything under it.
    const sitePrefix = normalised.length > 1 && normalised.endsWith("/") ? normalised.slice(0, -1) : normalised;
    return { ...draft, prefix: sitePrefix, target, site };
  } catch (problem) {
    throw ConfigError.at(where, problem);
  }
}

/** ROOT as an absolute path without a trailing slash; relative roots resolve against the working directory. */
function absoluteRoot(text: string, cwd: string | null): string {
  let root = text;
  if (!root.startsWith("/")) {
    if (cwd === null) throw new InvalidValue(`the root "${text}" is relative and there is no working directory here: give an absolute path`);
    root = `${cwd.endsWith("/") ? cwd.slice(0, -1) : cwd}/${root}`;
  }
  // Normalise "." and ".." segments and repeated slashes; symlinks are resolved per request, not here.
  const out: string[] = [];
  for (const seg of root.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  if (/[\0-\x1f\x7f]/.test(root)) throw new InvalidValue(`the root "${text}" has a control character`);
  return "/" + out.join("/");
}

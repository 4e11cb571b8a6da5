// Merges the sources of configuration into one validated GatewayConfig: routes from `--proxy-pass` flags come
// first, in flag order, then the file's; other flags override the file's values.
import { BalancerSet } from "./balancers.ts";
import { ConfigError } from "../errors.ts";
import type { FileConfig } from "./json.ts";
import type { ListenAddress } from "./listen.ts";
import { prefixMatches } from "../gateway/prefix.ts";
import type { GatewayConfig, RouteConfig } from "./types.ts";
import { VERSION } from "../version.ts";

/** SERVER_SOFTWARE: the name and the major.minor version. */
export const SERVER_SOFTWARE = `proxy-fcgi/${VERSION.split(".").slice(0, 2).join(".")}`;

/** A start-up warning: where (a route, a member) and what. */
export type ConfigWarn = (where: string, message: string) => void;

/** What buildGatewayConfig merges; flags override the file. */
export interface ConfigSources {
  flagRoutes?: readonly RouteConfig[];
  flagBalancers?: BalancerSet;
  file?: FileConfig;
  listen?: ListenAddress;
  documentRoot?: string;
  logLevel?: "info" | "warn" | "error";
  /**
   * The last resort for DOCUMENT_ROOT, with a warning (the CLI passes its working directory). Without it a
   * route with no document root anywhere sends an empty DOCUMENT_ROOT.
   */
  cwd?: string;
  /** Receives start-up warnings (a route whose configuration most likely does not do what was meant). */
  warn?: ConfigWarn;
}

/** Flags, file and defaults → one validated GatewayConfig; throws a ConfigError naming the place. */
export function buildGatewayConfig(src: ConfigSources): GatewayConfig {
  const routes = [...(src.flagRoutes ?? []), ...(src.file?.routes ?? [])];
  checkShadowing(routes);
  const balancers = BalancerSet.combine(src.flagBalancers ?? new BalancerSet(), src.file?.balancers).build();
  for (const r of routes) {
    if (r.target.kind === "balancer" && !balancers.some((b) => b.name === (r.target as { name: string }).name)) {
      throw new ConfigError(`route "${r.prefix}"`, `${r.target.text} is not defined (add --balancer-member "${r.target.text} fcgi://...")`);
    }
  }
  const documentRoot = src.documentRoot ?? src.file?.documentRoot;
  const warn = src.warn ?? (() => {});
  return {
    listen: src.listen ?? src.file?.listen ?? { host: "127.0.0.1", port: 8080 },
    documentRoot: documentRoot ?? "",
    routes: routes.map((r) => withDocumentRoot(r, documentRoot, src.cwd, warn)),
    balancers,
    serverSoftware: SERVER_SOFTWARE,
    maxHeadLine: src.file?.maxHeadLine ?? 8192,
    maxHead: src.file?.maxHead ?? 65536,
    maxStderrLog: 16 * 1024,
    logLevel: src.logLevel ?? src.file?.logLevel ?? "info",
  };
}

/**
 * DOCUMENT_ROOT of a route: its own `document-root` key, else the global one (--document-root or the file's),
 * else the target's path (nginx's habit of root = the scripts' directory; a balancer has none), else the
 * working directory with a warning. An FPM route whose target has no path is warned about too: PHP-FPM would
 * get SCRIPT_FILENAME without a directory and answer "File not found.".
 */
function withDocumentRoot(route: RouteConfig, global: string | undefined, cwd: string | undefined, warn: ConfigWarn): RouteConfig {
  const where = `route "${route.prefix}"`;
  const target = route.target;
  if (route.site !== undefined) return route; // a site's DOCUMENT_ROOT is its root
  if (target.kind === "fcgi" && route.backendType === "FPM" && trimSlash(target.path) === "") {
    warn(where, `${target.text} has no path, so PHP-FPM gets SCRIPT_FILENAME without a directory and answers ` +
      `"File not found.": name the scripts' directory as in Apache (fcgi://host:port/srv/app/)`);
  }
  if (route.documentRoot !== undefined) return route;
  let root = global;
  if (root === undefined && target.kind === "fcgi" && trimSlash(target.path) !== "") root = trimSlash(target.path);
  if (root === undefined && cwd !== undefined) {
    warn(where, `DOCUMENT_ROOT is the current directory ${cwd}: give --document-root, a document-root key, or a target path`);
    root = cwd;
  }
  return root === undefined ? route : { ...route, documentRoot: root };
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path === "/" ? "" : path;
}

/** The first matching route wins (as in Apache), so a route that an earlier one covers entirely can never run. */
export function checkShadowing(routes: readonly RouteConfig[]): void {
  routes.forEach((route, i) => {
    const earlier = routes.slice(0, i).find((r) => prefixMatches(r.prefix, route.prefix));
    if (earlier) {
      throw new ConfigError(`route "${route.prefix}"`, `never used: the earlier route "${earlier.prefix}" matches every path it would`);
    }
  });
}

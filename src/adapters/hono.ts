/**
 * Hono handler: `app.all("/php/*", fastcgi({ target: "fcgi://127.0.0.1:9000/srv/app/" }))`.
 *
 * The route's own path is the mount point: the rest of the request path is appended to the target's path
 * (as ProxyPass does), while SCRIPT_NAME and REQUEST_URI keep the whole URL the client sent, also when the
 * app is reached through `app.route()` or a parameterised prefix. The client address comes from Hono's
 * environment for the runtime in use (Deno's info, Bun's server, @hono/node-server's incoming socket,
 * Workers' cf-connecting-ip). The Response is returned, so middleware around it can read and change it.
 * @module
 */
import type { JsonRoute, JsonScalar } from "../config/json-types.ts";
import { createGateway, type EmbeddedGateway } from "./embedded.ts";
import type { GatewayOptions } from "../gateway/types.ts";

/**
 * The target and any route keys of the JSON config (`timeout`, `backend-type`, `env`, ...), plus `prefix`
 * (the mount point; by default the Hono route's path up to its trailing `*`) and `documentRoot`.
 */
export type FastcgiOptions = Omit<JsonRoute, "path"> & { prefix?: string; documentRoot?: string };

/** The slice of Hono's Context this handler uses (kept structural: no runtime import of hono). */
interface HonoContext {
  req: { raw: Request; routePath: string; path: string };
  env: unknown;
}

/** The Hono handler fastcgi() returns: call it with a Context; it also holds its gateway. */
export interface FastcgiHandler {
  (c: HonoContext, next?: () => Promise<void>): Promise<Response>;
  /** Closes the gateway's connections and timers. */
  close(): Promise<void>;
  readonly gateway: EmbeddedGateway;
}

/** `gatewayOptions`: logging, a connector, ... (GatewayOptions). */
export function fastcgi(options: FastcgiOptions, gatewayOptions?: GatewayOptions): FastcgiHandler {
  const { prefix, documentRoot, ...route } = options;
  const gateway = createGateway({
    ...(documentRoot ? { "document-root": documentRoot } : {}),
    routes: [{ ...route, path: "/" } as JsonRoute],
  }, gatewayOptions);
  const handler = (async (c: HonoContext) =>
    gateway.fetch(c.req.raw, c.env, { mount: (prefix as string | undefined) ?? mountOf(c.req.routePath, c.req.path) })) as FastcgiHandler;
  Object.defineProperty(handler, "gateway", { value: gateway });
  handler.close = () => gateway.close();
  return handler;
}

/**
 * The part of the request path that Hono's route pattern covers before its final wildcard: `/php/*` → `/php`;
 * with parameters (`/:site/php/*`) the matched segments of the actual path. A pattern without a wildcard
 * mounts at "/" (the whole path is appended to the target).
 */
export function mountOf(routePath: string, path: string): string {
  if (!routePath.endsWith("*")) return "";
  const pattern = routePath.replace(/\/?\*$/, "");
  if (pattern === "") return "";
  if (!/[:*]/.test(pattern)) return pattern;
  const segments = pattern.split("/").length - 1;
  return path.split("/").slice(0, segments + 1).join("/");
}

export type { JsonScalar };

// Shared test plumbing: start the project's own backends, build a gateway from ProxyPass lines with captured
// logs, and serve it with the runtime's real server when a test needs HTTP on the wire.
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { parseProxyPass } from "../../src/config/proxy-pass.ts";
import { parseSite } from "../../src/config/site.ts";
import type { RouteConfig } from "../../src/config/types.ts";
import { createGateway } from "../../src/adapters/embedded.ts";
import type { Gateway, GatewayOptions } from "../../src/gateway/types.ts";
import type { LogLevel } from "../../src/gateway/log.ts";
import { serve } from "../../src/adapters/serve.ts";
import type { RunningServer } from "../../src/adapters/types.ts";
import { serveResponder, type ResponderHandler, type ResponderOptions, type ResponderServer } from "../../src/fcgi-server/server.ts";
import type { ConnectionInfo } from "../../src/connection-info.ts";

export async function startBackend(handler: ResponderHandler, options?: ResponderOptions): Promise<ResponderServer & { port: number }> {
  const server = await serveResponder({ kind: "tcp", host: "127.0.0.1", port: 0 }, handler, options);
  const ep = server.endpoint;
  return Object.assign(server, { port: ep.kind === "tcp" ? ep.port : 0 });
}

export async function startUnixBackend(path: string, handler: ResponderHandler, options?: ResponderOptions): Promise<ResponderServer> {
  return serveResponder({ kind: "unix", path }, handler, options);
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly logs: Array<{ level: LogLevel; line: string }>;
  /** Sends a request straight to gateway.fetch (no HTTP server). `path` may include a query. */
  request(path: string, init?: RequestInit & { info?: Partial<ConnectionInfo> }): Promise<Response>;
  close(): Promise<void>;
}

export const TEST_INFO: ConnectionInfo = {
  remoteAddress: "127.0.0.2",
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 8080,
  tls: false,
};

export function testGateway(proxyPass: string[], extra: { documentRoot?: string; options?: GatewayOptions } = {}): TestGateway {
  return testRoutes(proxyPass.map((l) => parseProxyPass(l)), extra);
}

/** A test gateway for `--site` lines (then `--proxy-pass` lines, if any). */
export function testSite(sites: string[], extra: { proxyPass?: string[]; options?: GatewayOptions } = {}): TestGateway {
  return testRoutes([...sites.map((l) => parseSite(l)), ...(extra.proxyPass ?? []).map((l) => parseProxyPass(l))], extra);
}

function testRoutes(routes: RouteConfig[], extra: { documentRoot?: string; options?: GatewayOptions }): TestGateway {
  const logs: Array<{ level: LogLevel; line: string }> = [];
  const config = buildGatewayConfig({
    flagRoutes: routes,
    documentRoot: extra.documentRoot ?? "/srv/www",
  });
  const gateway = createGateway(config, { log: (level, line) => logs.push({ level, line }), ...extra.options });
  return {
    gateway,
    logs,
    request(path, init = {}) {
      const { info, ...rest } = init;
      // A real client always sends Host; so does this one unless the test sets its own.
      const headers = new Headers(rest.headers);
      if (!headers.has("host")) headers.set("host", "gateway.test:8080");
      const request = new Request(`http://gateway.test:8080${path}`, { ...rest, headers, ...(rest.body ? { duplex: "half" } : {}) } as RequestInit);
      return gateway.fetch(request, { ...TEST_INFO, ...info });
    },
    close: () => gateway.close(),
  };
}

/** Serves a gateway with the running runtime's own server on 127.0.0.1 and a free port. */
export async function serveGateway(gateway: Gateway): Promise<RunningServer & { url: string }> {
  const server = await serve(gateway, { host: "127.0.0.1", port: 0 });
  return Object.assign(server, { url: `http://127.0.0.1:${server.port}` });
}

export const runtime: "node" | "deno" | "bun" =
  (globalThis as { Bun?: unknown }).Bun ? "bun" : (globalThis as { Deno?: unknown }).Deno ? "deno" : "node";

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` is true or `ms` passed. */
export async function waitFor(check: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// proxy-fcgi itself (src/main.ts) in front of the backends, on Node, Deno or Bun.
//
// Node runs an esbuild bundle of src/main.ts, as users run the built package: under tsx's loader the same
// code runs 2-3× slower. Deno and Bun run the TypeScript source directly, as the README documents: both
// strip types once at load, so the steady state is the same as a bundle's (`--bundle` checks that claim by
// giving them the bundle too).
import { join } from "node:path";
import { HOST, freePort, waitForPort } from "../net.ts";
import { BASE_ENV, runCommand, startProcess } from "../procs.ts";
import type { Tools } from "../prereqs.ts";
import { STATIC_PREFIX } from "../static-files.ts";
import { logWatch } from "./log-errors.ts";
import { MAX_BODY_BYTES, PROXY_LABELS, type ProxyContext, type RunningProxy } from "./types.ts";

export type GatewayRuntime = "node" | "deno" | "bun";

/** cloudflare:* modules exist only on Workers; the code imports them there only. */
export const BUNDLE_FLAGS = ["--bundle", "--platform=node", "--format=esm", "--target=node20", "--external:cloudflare:*"];

/** esbuild `entry` → one ESM file for Node; returns its path. */
export async function bundle(tools: Tools, root: string, entry: string, outfile: string): Promise<string> {
  const r = await runCommand(
    tools.esbuild,
    [join(root, entry), ...BUNDLE_FLAGS, `--outfile=${outfile}`, "--log-level=warning"],
    { timeoutMs: 60_000, cwd: root },
  );
  if (r.code !== 0) throw new Error(`esbuild ${entry} failed:\n${r.stderr}`);
  return outfile;
}

/**
 * The routing flags: the same routes as nginx's and Apache's configs, the same connection counts. The static
 * site comes first: flags match in their order, and `/` after it would otherwise shadow it.
 */
export function gatewayRouteArgs(ctx: ProxyContext): string[] {
  const u = ctx.upstreams;
  const args = ["--document-root", u.php.docroot, "--site", `${STATIC_PREFIX.slice(0, -1)} ${ctx.staticRoot} none`];
  for (const route of proxyPassRoutes(u)) args.push("--proxy-pass", route);
  return args;
}

function proxyPassRoutes(u: ProxyContext["upstreams"]): string[] {
  return [
    // max: the pool's cap (default 64) applies without reuse too; nginx has none and Apache's is its threads.
    `/sse/ fcgi://${HOST}:${u.stream.port}/bench/ disablereuse=on max=${u.stream.conns} timeout=120 backend-type=GENERIC`,
    `/php/ fcgi://${HOST}:${u.php.port}${u.php.docroot}/ max=${u.php.conns} smax=${u.php.conns}`,
    `/recycle/ fcgi://${HOST}:${u.recycle.port}${u.recycle.docroot}/ max=${u.recycle.conns} smax=${u.recycle.conns}`,
    `/ fcgi://${HOST}:${u.hello.port}/bench/ max=${u.hello.conns} smax=${u.hello.conns} max-body=${MAX_BODY_BYTES} backend-type=GENERIC`,
  ];
}

/** How to run the gateway (or another entry module) on a runtime: the executable and its arguments. */
export function runtimeCommand(
  runtime: GatewayRuntime,
  tools: Tools,
  source: string,
  bundled: string | undefined,
): { command: string; args: string[] } {
  switch (runtime) {
    case "node":
      if (!bundled) throw new Error("Node runs a bundle");
      return { command: tools.node, args: [bundled] };
    case "deno":
      return { command: tools.deno, args: ["run", "-A", bundled ?? source] };
    case "bun":
      return { command: tools.bun, args: [bundled ?? source] };
  }
}

/**
 * Starts src/main.ts on `runtime` with `routeArgs` (default: gatewayRouteArgs(ctx)); `logName` tells its log
 * file apart when one scenario starts gateways of its own.
 */
export async function startGateway(
  runtime: GatewayRuntime,
  tools: Tools,
  root: string,
  ctx: ProxyContext,
  nodeBundle: string,
  bundleForAll: boolean,
  routeArgs: readonly string[] = gatewayRouteArgs(ctx),
  logName = `proxy-fcgi-${runtime}`,
): Promise<RunningProxy> {
  const port = await freePort();
  const { command, args } = runtimeCommand(runtime, tools, join(root, "src/main.ts"), runtime === "node" || bundleForAll ? nodeBundle : undefined);
  args.push("--listen", `${HOST}:${port}`, ...routeArgs);
  // Without access logs the gateway logs warnings and errors only, like nginx's and Apache's error logs.
  if (!ctx.accessLog) args.push("--log-level", "warn");
  // The CLI writes its lines (one per request at the default level) to stderr: to a file, like nginx's access log.
  const logFile = join(ctx.dir, `${logName}.log`);
  const proc = startProcess({
    name: logName,
    command,
    args,
    cwd: root,
    logFile,
    env: { ...BASE_ENV, HOME: process.env.HOME ?? "/root", NO_COLOR: "1" },
  });
  await waitForPort(port, proc, 30_000);
  const errors = logWatch(logFile, /^\S+ error /);
  return {
    id: runtime,
    label: PROXY_LABELS[runtime],
    port,
    proc,
    command: `${command} ${args.map((a) => (/[\s|"]/.test(a) ? JSON.stringify(a) : a)).join(" ")}`,
    errors,
  };
}

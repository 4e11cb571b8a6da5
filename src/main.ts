// The gateway process: flags and config file → a gateway → the runtime's server. Same on Node (tsx), Deno, Bun.
// Every start-up failure is one line on stderr and exit 2; a clean stop (SIGTERM/SIGINT) exits 0.
import process from "node:process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createGateway } from "./adapters/embedded.ts";
import { serve } from "./adapters/serve.ts";
import { parseArgs, USAGE } from "./cli/args.ts";
import { AppStartError, ConfigError, ListenError } from "./errors.ts";
import { Apps } from "./apps/apps.ts";
import type { AppConfig } from "./apps/types.ts";
import { IMPLICIT_FPM_APP, appRuntimeDir, appUses, buildApp, checkAppTargets, checkUniqueApps, implicitFpmApp, sizeAppPools } from "./config/apps.ts";
import { availableParallelism } from "node:os";
import { lazyConnector } from "./platform/connector.ts";
import { buildGatewayConfig, type ConfigWarn } from "./config/gateway-config.ts";
import { parseJsonConfig, type FileConfig } from "./config/json.ts";
import { parseProxyPass } from "./config/proxy-pass.ts";
import { warnMissingSockets } from "./config/socket-check.ts";
import type { GatewayConfig } from "./config/types.ts";
import { Logger } from "./gateway/log.ts";
import { flushLog, stderrSink } from "./platform/log-sink.ts";
import { VERSION } from "./version.ts";

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === DEMO_FLAG && argv[1] !== undefined) return serveDemo(argv[1]);
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`proxy-fcgi ${VERSION}\n`);
    return 0;
  }
  const file: FileConfig | undefined = args.configFile ? parseJsonConfig(await readConfig(args.configFile), args.configFile) : undefined;
  const log = new Logger(stderrSink, args.logLevel ?? file?.logLevel ?? "info");
  const warn: ConfigWarn = (where, message) => log.log("warn", {}, `${where}: ${message}`);

  // No routes anywhere: the built-in demo responder, started as a supervised app like any other (this program
  // run again with DEMO_FLAG), so a fresh checkout shows the whole path and the starter at work.
  let apps: Apps | undefined;
  const flagRoutes = [...args.flagRoutes];
  const flagApps = [...args.flagApps];
  if (flagRoutes.length === 0 && (file?.routes.length ?? 0) === 0) {
    const { selfCommand } = await import("./platform/processes/self-command.ts");
    flagApps.push(demoApp(selfCommand([DEMO_FLAG, "{socket}"])));
    flagRoutes.push(parseProxyPass(`/ app:demo/demo/ backend-type=GENERIC max=16 smax=4`));
    log.log("info", {}, "no routes configured: starting the demo FastCGI responder as the app demo");
  }

  try {
    let config: GatewayConfig = buildGatewayConfig({
      flagRoutes,
      flagBalancers: args.flagBalancers,
      ...(args.logLevel ? { logLevel: args.logLevel } : {}),
      ...(file ? { file } : {}),
      ...(args.listen ? { listen: args.listen } : {}),
      ...(args.documentRoot ? { documentRoot: args.documentRoot } : {}),
      cwd: process.cwd(),
      warn,
    });
    const appConfigs = [...flagApps, ...(file?.apps ?? [])];
    // `--site "/ ROOT php-fpm"` starts a php-fpm of its own unless an app of that name is configured.
    const uses = appUses(config);
    if (uses.some((u) => u.app === IMPLICIT_FPM_APP) && !appConfigs.some((a) => a.name === IMPLICIT_FPM_APP)) {
      appConfigs.push(implicitFpmApp());
    }
    checkUniqueApps(appConfigs);
    checkAppTargets(uses, appConfigs);
    config = sizeAppPools(config, appConfigs, availableParallelism());
    // Apps first: their sockets exist before the first request is routed to them.
    apps = appConfigs.length > 0 ? await startApps(appConfigs, log) : undefined;
    warnMissingSockets(config, existsSync, warn);
    const gateway = createGateway(config);
    let server;
    try {
      server = await serve(gateway, config.listen);
    } catch (e) {
      await gateway.close();
      throw e;
    }
    const shown = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
    log.log("info", {}, `proxy-fcgi ${VERSION} listening on http://${shown}:${server.port}/`);
    for (const r of config.routes) log.log("info", {}, `route ${r.prefix} -> ${r.target.text} (${r.backendType}, DOCUMENT_ROOT ${r.documentRoot || "empty"})`);

    // SIGHUP reloads the apps (issue M extends it to the whole configuration).
    const onHangup = () => {
      log.log("info", {}, "SIGHUP: reloading the apps");
      void apps?.reload().catch((e: Error) => log.log("error", {}, `reload failed: ${e.message}`));
    };
    process.on("SIGHUP", onHangup);
    const signal = await new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
    process.off("SIGHUP", onHangup);
    const grace = args.shutdownTimeoutMs;
    log.log("info", {}, `${signal}: no new connections; finishing in-flight requests (up to ${grace / 1000} s, --shutdown-timeout)`);
    // After the grace, the gateway cuts what still runs: one line per request, the same on every runtime.
    await server.close(grace, () => gateway.close());
    await gateway.close();
    // In-flight requests are done: now the apps may go (each its stop signal, SIGKILL after stop-timeout).
    if (apps) {
      await stopApps(apps);
      apps = undefined;
    }
    log.log("info", {}, "stopped");
    flushLog();
    return 0;
  } finally {
    if (apps) await stopApps(apps);
  }
}

/** The internal flag that makes this program the demo responder on a Unix socket: `DEMO_FLAG PATH`. */
const DEMO_FLAG = "--internal-demo-responder";

/** The demo app: this program run again as the responder, binding the socket it is given. */
function demoApp(command: string[]): AppConfig {
  return buildApp("demo", [["socket", "self"]], command, "the demo app");
}

/** Runs the demo responder on `path` until SIGTERM (the gateway's demo app). */
async function serveDemo(path: string): Promise<number> {
  const { serveResponder } = await import("./fcgi-server/server.ts");
  const { demoHandler } = await import("./fcgi-server/demo.ts");
  const server = await serveResponder({ kind: "unix", path }, demoHandler);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await server.close();
  return 0;
}

/** Creates the apps' private socket directory (0700) and starts them. */
async function startApps(configs: readonly AppConfig[], log: Logger): Promise<Apps> {
  const { currentProcesses } = await import("./platform/processes/processes.ts");
  const processes = currentProcesses();
  if (!processes) throw new ConfigError("--app", "this runtime cannot start processes");
  const dir = appRuntimeDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return await Apps.start(configs, processes, lazyConnector(), (level, message) => log.log(level, {}, message), process.env);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function stopApps(apps: Apps): Promise<void> {
  await apps.stop();
  rmSync(appRuntimeDir(), { recursive: true, force: true });
}

async function readConfig(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new ConfigError(path, `cannot read the config file: ${(e as Error).message}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    flushLog();
    // What the user must fix before the gateway can start: one line, exit 2.
    if (e instanceof ConfigError || e instanceof ListenError || e instanceof AppStartError) {
      process.stderr.write(`proxy-fcgi: ${e instanceof ListenError ? "--listen " : ""}${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`proxy-fcgi: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);

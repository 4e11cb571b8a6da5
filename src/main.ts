// The gateway process: flags and config file → a gateway → the runtime's server. Same on Node (tsx), Deno, Bun.
import process from "node:process";
import { readFile } from "node:fs/promises";
import { serve } from "./adapters/serve.ts";
import { parseArgs, USAGE } from "./cli/args.ts";
import { ConfigError } from "./config/errors.ts";
import { buildGatewayConfig } from "./config/gateway-config.ts";
import { parseJsonConfig, type FileConfig } from "./config/json.ts";
import { parseProxyPass } from "./config/proxy-pass.ts";
import { createGateway } from "./gateway/gateway.ts";

const GRACE_MS = 10_000;

async function main(argv: readonly string[]): Promise<number> {
  let args;
  let file: FileConfig | undefined;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (args.configFile) file = parseJsonConfig(await readConfig(args.configFile), args.configFile);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`proxy-fcgi: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  // No routes anywhere: serve the built-in demo responder so a fresh checkout shows something working.
  let demo: { close(): Promise<void> } | undefined;
  const flagRoutes = [...args.flagRoutes];
  if (flagRoutes.length === 0 && (file?.routes.length ?? 0) === 0) {
    const { startDemoBackend } = await import("./responder/demo.ts");
    const backend = await startDemoBackend();
    demo = backend;
    flagRoutes.push(parseProxyPass(`/ fcgi://127.0.0.1:${backend.port}/demo/ backend-type=GENERIC`));
    log(`no routes configured: demo FastCGI responder on 127.0.0.1:${backend.port}`);
  }

  let config;
  try {
    config = buildGatewayConfig({
      flagRoutes,
      flagBalancers: args.flagBalancers,
      ...(args.logLevel ? { logLevel: args.logLevel } : {}),
      ...(file ? { file } : {}),
      ...(args.listen ? { listen: args.listen } : {}),
      documentRoot: args.documentRoot ?? file?.documentRoot ?? process.cwd(),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`proxy-fcgi: ${e.message}\n`);
      await demo?.close();
      return 2;
    }
    throw e;
  }

  const gateway = createGateway(config);
  const server = await serve(gateway, config.listen);
  const shown = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  log(`listening on http://${shown}:${server.port}/`);
  for (const r of config.routes) log(`route ${r.prefix} -> ${r.target.text} (${r.backendType})`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: no new connections; finishing in-flight requests (up to ${GRACE_MS / 1000} s)`);
      server.close(GRACE_MS).then(async () => {
        await gateway.close();
        await demo?.close();
        resolve();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  log("stopped");
  return 0;
}

async function readConfig(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new ConfigError(path, `cannot read the config file: ${(e as Error).message}`);
  }
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} info ${message}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`proxy-fcgi: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);

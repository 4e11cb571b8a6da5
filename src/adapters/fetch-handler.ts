/**
 * A module whose default export is `{ fetch }`, so `deno serve` and `bun run` (auto-serve) run the gateway with
 * no wrapper code. Configuration: the JSON file named by the environment variable PROXY_FCGI_CONFIG (default
 * `./proxy-fcgi.json`), read and validated when the module loads, so a bad file stops `deno serve` at start
 * with the configuration error (Workers, which cannot read files, use `proxy-fcgi/workers` instead). The
 * client address comes from the runtime's second `fetch` argument.
 *
 *     PROXY_FCGI_CONFIG=app.json npx deno serve -A --host 127.0.0.1 node_modules/proxy-fcgi/dist/deno/fetch.js
 * @module
 */
import process from "node:process";
import { existsSync, readFileSync } from "node:fs";
import { configFromJson } from "../config/from-json.ts";
import { ConfigError } from "../errors.ts";
import { warnMissingSockets } from "../config/socket-check.ts";
import { Logger } from "../gateway/log.ts";
import { currentPlatform } from "../platform/current.ts";
import { createGateway, type EmbeddedGateway } from "./embedded.ts";

/** What `deno serve`, `bun run` and Workers-style hosts call. */
export interface FetchModule {
  fetch(request: Request, second?: unknown): Promise<Response>;
}

/** Reads, validates and builds at module load; throws a ConfigError naming the file and the key. */
function load(): EmbeddedGateway {
  const path = process.env.PROXY_FCGI_CONFIG || "./proxy-fcgi.json";
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${path} (PROXY_FCGI_CONFIG)`, `cannot read the config file: ${(e as Error).message}`);
  }
  const config = configFromJson(text, path);
  const log = new Logger(currentPlatform().log, config.logLevel);
  warnMissingSockets(config, existsSync, (where, message) => log.log("warn", {}, `${where}: ${message}`));
  return createGateway(config);
}

const gateway = load();

const handler: FetchModule = {
  fetch: (request: Request, second?: unknown): Promise<Response> => gateway.fetch(request, second),
};

export default handler;

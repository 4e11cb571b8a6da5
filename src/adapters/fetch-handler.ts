/**
 * A module whose default export is `{ fetch }`, so `deno serve` and `bun run` (auto-serve) run the gateway with
 * no wrapper code. Configuration: the JSON file named by the environment variable PROXY_FCGI_CONFIG (default
 * `./proxy-fcgi.json`), read on the first request. The client address comes from the runtime's second
 * `fetch` argument.
 *
 *     PROXY_FCGI_CONFIG=app.json deno serve -A node_modules/proxy-fcgi/dist/deno/fetch.js
 * @module
 */
import process from "node:process";
import { readFile } from "node:fs/promises";
import { createGateway, type EmbeddedGateway } from "../mod.ts";

let gateway: Promise<EmbeddedGateway> | undefined;

async function load(): Promise<EmbeddedGateway> {
  const path = process.env.PROXY_FCGI_CONFIG || "./proxy-fcgi.json";
  const text = await readFile(path, "utf8").catch((e: Error) => {
    throw new Error(`proxy-fcgi: cannot read the config file ${path} (PROXY_FCGI_CONFIG): ${e.message}`);
  });
  const { configFromJson } = await import("../config/from-json.ts");
  return createGateway(configFromJson(text, path));
}

/** What `deno serve`, `bun run` and Workers-style hosts call. */
export interface FetchModule {
  fetch(request: Request, second?: unknown): Promise<Response>;
}

const handler: FetchModule = {
  async fetch(request: Request, second?: unknown): Promise<Response> {
    gateway ??= load();
    let g: EmbeddedGateway;
    try {
      g = await gateway;
    } catch (e) {
      console.error((e as Error).message);
      gateway = undefined; // try again on the next request (the file may be fixed)
      return new Response("500 Internal Server Error (proxy-fcgi configuration)\n", { status: 500 });
    }
    return g.fetch(request, second);
  },
};

export default handler;

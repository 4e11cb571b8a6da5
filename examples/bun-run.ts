// `bun run` serves a module whose default export has fetch (and port):
//   PROXY_FCGI_CONFIG=examples/proxy-fcgi.json PORT=8080 npx bun run examples/bun-run.ts
// From the package: import handler from "proxy-fcgi/fetch";
import process from "node:process";
import handler from "../src/adapters/fetch-handler.ts";

export default { port: Number(process.env.PORT ?? 8080), hostname: "127.0.0.1", fetch: handler.fetch };

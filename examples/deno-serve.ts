// `deno serve` runs a module whose default export is { fetch }:
//   PROXY_FCGI_CONFIG=examples/proxy-fcgi.json deno serve -A --port 8080 examples/deno-serve.ts
// From the package: export { default } from "proxy-fcgi/fetch";
export { default } from "../src/adapters/fetch-handler.ts";

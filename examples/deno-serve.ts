// `deno serve` runs a module whose default export is { fetch }:
//   PROXY_FCGI_CONFIG=examples/proxy-fcgi.json npx deno serve -A --host 127.0.0.1 --port 8080 examples/deno-serve.ts
// (deno serve listens on 0.0.0.0 unless --host says otherwise; --parallel runs one worker per core)
// From the package: export { default } from "proxy-fcgi/fetch";
export { default } from "../src/adapters/fetch-handler.ts";

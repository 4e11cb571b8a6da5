// A Cloudflare Worker: the whole gateway, configured by the PROXY_FCGI_CONFIG var (see wrangler.jsonc here).
//   npx wrangler dev examples/workers.ts      (or deploy; the backend must be reachable from Cloudflare)
// From the package: export { default, ProxyFcgiPool } from "proxy-fcgi/workers";
export { default, ProxyFcgiPool } from "../src/adapters/workers/entry.ts";

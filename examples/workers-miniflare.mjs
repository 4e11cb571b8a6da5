// Runs the package's Workers build locally in workerd through miniflare's API (miniflare has no CLI of its own;
// `npx wrangler dev examples/workers.ts` is the other way, with wrangler installed separately):
//   npm install miniflare
//   PROXY_FCGI_CONFIG='{"routes":[{"path":"/","target":"fcgi://127.0.0.1:9000/srv/app/"}]}' node workers-miniflare.mjs
// DIST: the built Workers bundle (default: the installed package's); PORT: where to listen (default 8787).
import process from "node:process";
import { Miniflare } from "miniflare";

const dist = process.env.DIST ?? "node_modules/proxy-fcgi/dist/workers";
const mf = new Miniflare({
  modules: true,
  modulesRoot: dist,
  scriptPath: `${dist}/entry.js`,
  // The bundle is split into chunks (dist/workers/chunks/*.js) that entry.js imports.
  modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
  compatibilityDate: "2026-04-01",
  bindings: { PROXY_FCGI_CONFIG: JSON.parse(process.env.PROXY_FCGI_CONFIG ?? "{}") },
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 8787),
});
console.log(`the Worker listens on ${await mf.ready}`);
const stop = () => mf.dispose().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

// Builds the Workers entry the way a Workers build must: one ESM file, cloudflare:sockets left to workerd, and
// the files a Worker never runs replaced by a stub that throws, as scripts/build.ts does for dist/workers/:
// the other runtimes' shims (the source reaches them only through run-time-selected dynamic imports) and
// platform/files.ts and site-files.ts (no filesystem on Workers; its lazy import("node:fs/promises") would still make
// miniflare and wrangler refuse the bundle without nodejs_compat). The result imports no node:* module.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const src = (p: string): string => path.join(root, "src", p);

/** Files that only Node, Deno or Bun ever load. */
const OTHER_RUNTIMES = [
  src("platform/files.ts"), src("platform/site-files.ts"), src("platform/processes") + path.sep,
  src("transport/node.ts"), src("transport/deno.ts"), src("transport/bun.ts"),
  src("adapters/node") + path.sep, src("adapters/deno") + path.sep, src("adapters/bun") + path.sep,
];

const stubOtherRuntimes: Plugin = {
  name: "stub-other-runtimes",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      if (!OTHER_RUNTIMES.some((p) => (p.endsWith(path.sep) ? file.startsWith(p) : file === p))) return undefined;
      return { path: file, namespace: "stub" };
    });
    b.onLoad({ filter: /.*/, namespace: "stub" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`not in the Workers bundle: ${args.path}`)});`,
      loader: "js",
    }));
  },
};

/** Writes `<outDir>/<name>` from `entry` (default: the Workers entry, src/adapters/workers/entry.ts); returns its path. */
export async function bundleWorker(outDir: string, entry = src("adapters/workers/entry.ts"), name = "worker.mjs"): Promise<string> {
  const outfile = path.join(outDir, name);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:sockets"],
    plugins: [stubOtherRuntimes],
    logLevel: "error",
  });
  return outfile;
}

// `npm run build`: the npm package's dist/. One ESM folder per runtime (node, deno, bun, workers), so that the
// file a runtime's export condition picks carries only that runtime's socket shim and server; dist/cli.js for
// `bin`; the .d.ts files from tsc into dist/types/.
//
//   node --import tsx scripts/build.ts [--outdir DIR] [--no-types]
//
// The source picks its shim at run time (`import("./bun.ts")` etc. behind a runtime check). Here every
// import of a file that belongs to another runtime resolves to a stub that throws, so esbuild drops that
// runtime's code from the bundle; the running code and the source are unchanged. Each folder is code-split
// so index.js, fetch.js and hono.js share one copy of the gateway (so `instanceof` on its error classes holds across them).
import { build, type Metafile, type Plugin } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = (p: string): string => path.join(root, "src", p);

type Runtime = "node" | "deno" | "bun" | "workerd";

/**
 * Files (or folders, ending in "/") that only some runtimes ever load; every other file goes in every build.
 * The filesystem services are left out of Workers, which has none (without nodejs_compat, a bundler would
 * refuse their node:fs import even though it is never reached there).
 */
const ONLY: Array<[string, Runtime[]]> = [
  ["transport/node.ts", ["node"]],
  ["adapters/node/", ["node"]],
  ["transport/deno.ts", ["deno"]],
  ["adapters/deno/", ["deno"]],
  ["transport/bun.ts", ["bun"]],
  ["adapters/bun/", ["bun"]],
  ["transport/workers.ts", ["workerd"]],
  ["adapters/workers/", ["workerd"]],
  ["platform/files.ts", ["node", "deno", "bun"]],
  ["platform/site-files.ts", ["node", "deno", "bun"]],
  // Child processes and their sockets (issue S): the first match wins, so each runtime's file comes first.
  ["platform/processes/listen-node.ts", ["node"]],
  ["platform/processes/libc-bun.ts", ["bun"]],
  ["platform/processes/libc-deno.ts", ["deno"]],
  ["platform/processes/", ["node", "deno", "bun"]],
];

/** The runtimes that may load `file`, or undefined when all do. */
function runtimesOf(file: string): Runtime[] | undefined {
  for (const [entry, runtimes] of ONLY) {
    const abs = src(entry);
    if (entry.endsWith("/") ? file.startsWith(abs) : file === abs) return runtimes;
  }
  return undefined;
}

const excluded = (file: string, keep: readonly Runtime[]): boolean => {
  const runtimes = runtimesOf(file);
  return runtimes !== undefined && !runtimes.some((r) => keep.includes(r));
};

/** Imports of files that belong to a runtime outside `keep` become a module that throws when loaded. */
function onlyRuntimes(keep: readonly Runtime[], label: string): Plugin {
  return {
    name: "only-runtimes",
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        if (!excluded(file, keep)) return undefined;
        return { path: path.relative(src(""), file), namespace: "other-runtime", pluginData: runtimesOf(file)!.join(", ") };
      });
      b.onLoad({ filter: /.*/, namespace: "other-runtime" }, (args) => ({
        contents: `throw new Error(${JSON.stringify(
          `proxy-fcgi: this is the ${label} build, which leaves out src/${args.path} (for ${args.pluginData}). ` +
            `Import the package by name so that the runtime's export condition picks its own build.`,
        )});`,
        loader: "js",
      }));
    },
  };
}

interface Target {
  /** Folder under dist/, and the runtime whose files it keeps. */
  dir: string;
  runtime: Runtime;
  platform: "node" | "neutral";
  entries: Record<string, string>;
}

const workersEntry = src("adapters/workers/entry.ts");
const libraryEntries = {
  index: src("mod.ts"),
  fetch: src("adapters/fetch-handler.ts"),
  hono: src("adapters/hono.ts"),
};

function targets(): Target[] {
  const list: Target[] = [
    { dir: "node", runtime: "node", platform: "node", entries: libraryEntries },
    { dir: "deno", runtime: "deno", platform: "neutral", entries: libraryEntries },
    { dir: "bun", runtime: "bun", platform: "neutral", entries: libraryEntries },
  ];
  // Workers: no filesystem, so entry.js (config from the binding) stands in for fetch.js; wrangler's `main`.
  if (existsSync(workersEntry)) {
    list.push({
      dir: "workers",
      runtime: "workerd",
      platform: "neutral",
      entries: { index: libraryEntries.index, hono: libraryEntries.hono, entry: workersEntry },
    });
  }
  return list;
}

const common = {
  bundle: true,
  format: "esm" as const,
  target: "es2022",
  external: ["node:*", "cloudflare:sockets"],
  legalComments: "none" as const,
  charset: "utf8" as const,
  logLevel: "warning" as const,
  metafile: true as const,
};

function parseFlags(argv: readonly string[]): { outdir: string; types: boolean } {
  let outdir = path.join(root, "dist");
  let types = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--outdir") outdir = path.resolve(argv[++i] ?? "");
    else if (a.startsWith("--outdir=")) outdir = path.resolve(a.slice("--outdir=".length));
    else if (a === "--no-types") types = false;
    else throw new Error(`build: unknown flag ${a}`);
  }
  return { outdir, types };
}

/** Fails the build if a bundle picked up another runtime's file or a package from node_modules (but mime-db's data). */
function checkInputs(meta: Metafile, keep: readonly Runtime[], label: string): void {
  for (const input of Object.keys(meta.inputs)) {
    if (input.startsWith("other-runtime:")) continue;
    const file = path.resolve(root, input);
    // mime-db (data only) is bundled: the package then has no dependency to install, and Workers none to resolve.
    if (file.includes(`${path.sep}node_modules${path.sep}`) && !file.includes(`${path.sep}node_modules${path.sep}mime-db${path.sep}`)) throw new Error(`build: ${label} bundles ${input}`);
    if (excluded(file, keep)) throw new Error(`build: ${label} bundles ${input}, which only ${runtimesOf(file)!.join(", ")} load`);
  }
}

async function main(): Promise<void> {
  const { outdir, types } = parseFlags(process.argv.slice(2));
  const started = Date.now();
  rmSync(outdir, { recursive: true, force: true });

  const runs = targets().map(async (t) => {
    const keep = [t.runtime];
    const result = await build({
      ...common,
      entryPoints: t.entries,
      outdir: path.join(outdir, t.dir),
      platform: t.platform,
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      plugins: [onlyRuntimes(keep, t.dir)],
    });
    checkInputs(result.metafile, keep, `dist/${t.dir}`);
  });

  // The CLI is one file for `bin`. It keeps the Node, Deno and Bun code so `bunx --bun proxy-fcgi` and
  // `deno run -A npm:proxy-fcgi` work too; only Workers code (which cannot listen) is left out.
  const cliKeep: Runtime[] = ["node", "deno", "bun"];
  runs.push(
    build({
      ...common,
      entryPoints: { cli: src("main.ts") },
      outdir,
      platform: "node",
      target: "node20",
      banner: { js: "#!/usr/bin/env node" },
      plugins: [onlyRuntimes(cliKeep, "CLI")],
    }).then((r) => checkInputs(r.metafile, cliKeep, "dist/cli.js")),
  );
  await Promise.all(runs);

  if (types) {
    // TypeScript keeps the source's `./x.ts` specifiers in .d.ts files (rewriteRelativeImportExtensions only
    // rewrites emitted JS); TypeScript resolves `./x.ts` to the sibling `x.d.ts`, so consumers are fine.
    const tsc = path.join(root, "node_modules", ".bin", process.platform === "win32" ? "tsc.cmd" : "tsc");
    const r = spawnSync(tsc, ["-p", path.join(root, "tsconfig.build.json"), "--outDir", path.join(outdir, "types")], {
      stdio: "inherit",
      cwd: root,
    });
    if (r.status !== 0) throw new Error(`build: tsc exited with ${r.status ?? r.signal}`);
  }

  if (!existsSync(workersEntry)) console.warn("build: src/adapters/workers/entry.ts not found: no dist/workers/");
  const cli = path.join(outdir, "cli.js");
  console.log(`build: ${path.relative(process.cwd(), outdir) || "."}/ in ${Date.now() - started} ms (cli.js ${statSync(cli).size} B)`);
}

main().catch((e: unknown) => {
  console.error((e as Error)?.message ?? e);
  process.exit(1);
});

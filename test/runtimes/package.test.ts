// The npm package as a user gets it: build into a staging folder, `npm pack`, install the tarball into an empty
// project with no registry access, then run its `bin` through npx and import it by name from Node, Deno and
// Bun (each must get its own build through the export conditions) and type-check a consumer against the .d.ts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { runtime, startBackend, waitFor } from "../helpers/harness.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tool = (name: string): string => path.join(root, "node_modules", ".bin", name);

/**
 * The children must not inherit what `npm test` / `npx deno` put in the environment: npm_config_local_prefix
 * would make `npm install` in the temporary project install into this repository.
 */
const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
for (const [k, v] of Object.entries(process.env)) {
  if (v !== undefined && !k.startsWith("npm_") && k !== "INIT_CWD") env[k] = v;
}

interface Result { code: number | null; signal: string | null; out: string; err: string }

function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => { clearTimeout(timer); reject(e); });
    child.once("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<Result> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} (in ${cwd}) exited ${r.code ?? r.signal}:\n${r.out}\n${r.err}`);
  return r;
}

/** Every .js file under `dir`, with its text. */
async function scripts(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const name of await readdir(dir, { recursive: true })) {
    if (name.endsWith(".js")) out.push([name, await readFile(path.join(dir, name), "utf8")]);
  }
  return out;
}

// Imports the package by name, does one request through it, and reports what each specifier resolved to.
const BY_NAME = `import process from "node:process";
import { createGateway } from "proxy-fcgi";
import { fastcgi } from "proxy-fcgi/hono";
import handler from "proxy-fcgi/fetch";

const runtime = globalThis.Bun ? "bun" : globalThis.Deno ? "deno" : "node";
const gateway = createGateway({
  "document-root": "/srv/www",
  routes: [{ path: "/", target: "fcgi://127.0.0.1:" + process.env.BACKEND_PORT + "/srv/app/" }],
});
const res = await gateway.fetch(new Request("http://gateway.test/by-name.php?from=" + runtime));
const body = await res.json();
await gateway.close();
console.log(JSON.stringify({
  status: res.status,
  params: body.params,
  resolved: { ".": import.meta.resolve("proxy-fcgi"), hono: import.meta.resolve("proxy-fcgi/hono"), fetch: import.meta.resolve("proxy-fcgi/fetch") },
  types: [typeof fastcgi, typeof handler.fetch],
}));
`;

// Type-checked, not run: the public types must resolve from the package's .d.ts files.
const CONSUMER = `import { createGateway, ConfigError, type EmbeddedGateway, type JsonConfig } from "proxy-fcgi";
import { fastcgi, type FastcgiOptions } from "proxy-fcgi/hono";
import handler from "proxy-fcgi/fetch";
import worker, { ProxyFcgiPool, type WorkersEnv } from "proxy-fcgi/workers";

const config: JsonConfig = { routes: [{ path: "/", target: "fcgi://127.0.0.1:9000/srv/app/", timeout: 30 }] };
const gateway: EmbeddedGateway = createGateway(config);
const options: FastcgiOptions = { target: "fcgi://127.0.0.1:9000/srv/app/", documentRoot: "/srv/app" };
const response: Promise<Response> = fastcgi(options).gateway.fetch(new Request("http://x/"));
const fetched: Promise<Response> = handler.fetch(new Request("http://x/"));
const isError: boolean = new Error() instanceof ConfigError;
const env: WorkersEnv = { PROXY_FCGI_CONFIG: config };
const served: Promise<Response> = worker.fetch(new Request("http://x/"), env);
const pool: unknown = ProxyFcgiPool;
// @ts-expect-error: fetch is a function, so a wrong use must be reported (proves the types are not \`any\`).
const wrong: number = gateway.fetch;
export { response, fetched, isError, served, pool, wrong };
`;

describe(`the npm package (tests running on ${runtime})`, () => {
  let work: string;
  let app: string;
  let installed: string;
  let backend: ResponderServer & { port: number };
  const servers: Array<{ pid: number; closed: boolean; exited: Promise<unknown> }> = [];

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "proxy-fcgi-package-"));
    // Staged copy: the build goes to the stage, never to the repository's dist/ (which a developer may be using).
    const stage = path.join(work, "stage");
    await mkdir(stage);
    await copyFile(path.join(root, "package.json"), path.join(stage, "package.json"));
    await copyFile(path.join(root, "README.md"), path.join(stage, "README.md"));
    await ok("node", ["--import", "tsx", "scripts/build.ts", "--outdir", path.join(stage, "dist")], root);
    // --ignore-scripts: prepack would build again, into the stage's own (missing) sources.
    const packed = await ok("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], stage);
    const tarball = path.join(work, (JSON.parse(packed.out) as Array<{ filename: string }>)[0]!.filename);

    app = path.join(work, "app");
    await mkdir(app);
    await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    // --offline: the package has no dependencies, so nothing may come from a registry.
    await ok("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", tarball], app);
    installed = path.join(app, "node_modules", "proxy-fcgi");
    await writeFile(path.join(app, "by-name.mjs"), BY_NAME);
    await writeFile(path.join(app, "consumer.ts"), CONSUMER);
    backend = await startBackend(echoHandler);
    env.BACKEND_PORT = String(backend.port);
    // proxy-fcgi/fetch reads its configuration when it loads.
    env.PROXY_FCGI_CONFIG = path.join(app, "proxy-fcgi.json");
    await writeFile(env.PROXY_FCGI_CONFIG, JSON.stringify({ routes: [{ path: "/", target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }] }));
  }, { timeout: 120_000 });

  after(async () => {
    for (const s of servers) {
      if (s.closed) continue;
      try {
        process.kill(-s.pid, "SIGKILL");
      } catch { /* already gone */ }
      await s.exited;
    }
    await backend?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("installs only dist/, README.md and package.json, with no dependencies", async () => {
    const manifest = JSON.parse(await readFile(path.join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest.dependencies, undefined);
    assert.deepEqual((await readdir(installed)).sort(), ["README.md", "dist", "package.json"]);
    const packages = (await readdir(path.join(app, "node_modules"))).filter((n) => !n.startsWith("."));
    assert.deepEqual(packages, ["proxy-fcgi"]);
  });

  it("each runtime's build carries only that runtime's socket shim and server", async () => {
    // esbuild marks each bundled source file with a `// src/...` comment; the others' files are throwing stubs.
    const shims = { node: ["src/transport/node.ts", "src/adapters/node/serve.ts"], deno: ["src/transport/deno.ts", "src/adapters/deno/serve.ts"], bun: ["src/transport/bun.ts", "src/adapters/bun/serve.ts"] };
    for (const rt of Object.keys(shims) as Array<keyof typeof shims>) {
      const text = (await scripts(path.join(installed, "dist", rt))).map(([, t]) => t).join("\n");
      for (const [other, files] of Object.entries(shims)) {
        for (const file of files) {
          if (other === rt) assert.ok(text.includes(`// ${file}\n`), `dist/${rt} should contain ${file}`);
          else assert.ok(!text.includes(`// ${file}\n`), `dist/${rt} must not contain ${file}`);
        }
      }
      assert.ok(!/from ?"hono|import\("hono/.test(text), `dist/${rt} must not import hono`);
    }
    const cli = await readFile(path.join(installed, "dist", "cli.js"), "utf8");
    assert.ok(cli.startsWith("#!/usr/bin/env node\n"));
  });

  it("npx proxy-fcgi --help exits 0 and prints the usage", async () => {
    const r = await run("npx", ["--offline", "proxy-fcgi", "--help"], app);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^proxy-fcgi: a FastCGI gateway/);
    assert.match(r.out, /--proxy-pass/);
  });

  it("npx proxy-fcgi serves a --proxy-pass route to the backend", async () => {
    // npx runs the bin through `sh -c`, and a signal to npx does not reach the gateway: give the whole tree its
    // own process group and signal that.
    const child = spawn("npx", ["--offline", "proxy-fcgi", "--listen", "127.0.0.1:0", "--document-root", "/srv/www", "--proxy-pass", `/ fcgi://127.0.0.1:${backend.port}/srv/app/`], {
      cwd: app,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = { pid: child.pid!, closed: false, exited: new Promise((resolve) => child.once("close", resolve)) };
    server.exited.then(() => { server.closed = true; });
    servers.push(server);
    let err = "";
    child.stdout!.resume();
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${err}`)), 20_000);
      child.stderr!.on("data", (d) => {
        err += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once("close", () => {
        clearTimeout(timer);
        reject(new Error(`the gateway exited:\n${err}`));
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/index.php?via=npx`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as EchoBody;
    assert.equal(body.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/index.php`);
    assert.equal(body.params.QUERY_STRING, "via=npx");
    assert.equal(body.params.DOCUMENT_ROOT, "/srv/www");
    process.kill(-child.pid!, "SIGTERM");
    await server.exited;
    assert.match(err, /info stopped/);
  });

  it("the installed bin, run directly as a service runs it, stops cleanly on SIGTERM (exit 0, no process left)", async () => {
    const bin = path.join(app, "node_modules", ".bin", "proxy-fcgi");
    const version = await run(bin, ["--version"], app);
    assert.equal(version.out, `proxy-fcgi ${JSON.parse(await readFile(path.join(root, "package.json"), "utf8")).version}\n`);
    const child = spawn(bin, ["--listen", "127.0.0.1:0", "--proxy-pass", `/ fcgi://127.0.0.1:${backend.port}/srv/app/`], { cwd: app, env, stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let err = "";
    child.stderr!.on("data", (d) => { err += d; });
    const end = Date.now() + 20_000;
    while (!/listening on/.test(err)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`the bin did not start:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGTERM"); // the process itself, as systemd's KillMode=mixed and docker stop do
    const code = await exited;
    // Deno's child_process reports a child it signalled as killed by the signal even when it exited 0.
    if (runtime !== "deno") assert.equal(code, 0, err);
    assert.match(err, /info stopped/);
    assert.throws(() => process.kill(child.pid!, 0), /ESRCH/, "the gateway process is gone");
  });

  it("examples/workers-miniflare.mjs, the README's local Workers run, serves the installed dist/workers/", async () => {
    const config = JSON.stringify({ routes: [{ path: "/", target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }] });
    const child = spawn("node", [path.join(root, "examples", "workers-miniflare.mjs")], {
      cwd: root, // where miniflare is installed; DIST points at the installed package
      env: { ...env, DIST: path.join(installed, "dist", "workers"), PORT: "0", PROXY_FCGI_CONFIG: config },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let out = "";
    child.stdout!.on("data", (d) => { out += d; });
    child.stderr!.on("data", (d) => { out += d; });
    try {
      const end = Date.now() + 30_000;
      let m: RegExpExecArray | null;
      while (!(m = /listens on (http:\/\/\S+)/.exec(out))) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`miniflare did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await fetch(new URL("/local.php?via=miniflare", m[1]));
      const body = (await res.json()) as EchoBody;
      assert.equal(body.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/local.php`);
      assert.equal(body.params.QUERY_STRING, "via=miniflare");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });

  for (const rt of ["node", "deno", "bun"] as const) {
    it(`${rt} imports the package by name and gets dist/${rt}/`, async () => {
      const cmd = rt === "node" ? ["node", "by-name.mjs"] : rt === "deno" ? [tool("deno"), "run", "-A", "by-name.mjs"] : [tool("bun"), "by-name.mjs"];
      const r = await ok(cmd[0]!, cmd.slice(1), app);
      const report = JSON.parse(r.out.trim().split("\n").at(-1)!) as {
        status: number;
        params: EchoBody["params"];
        resolved: Record<string, string>;
        types: string[];
      };
      assert.equal(report.status, 200);
      assert.equal(report.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/by-name.php`);
      assert.equal(report.params.QUERY_STRING, `from=${rt}`);
      const base = `node_modules/proxy-fcgi/dist/${rt}`;
      assert.ok(report.resolved["."]!.endsWith(`${base}/index.js`), report.resolved["."]);
      assert.ok(report.resolved.hono!.endsWith(`${base}/hono.js`), report.resolved.hono);
      assert.ok(report.resolved.fetch!.endsWith(`${base}/fetch.js`), report.resolved.fetch);
      assert.deepEqual(report.types, ["function", "function"]);
    });
  }

  it("a TypeScript consumer type-checks against the package's .d.ts files", async () => {
    // No @types/node and no skipLibCheck: the public declarations must stand alone.
    const r = await run(tool("tsc"), ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2023,dom", "--types", "", "consumer.ts"], app);
    assert.equal(r.code, 0, `${r.out}${r.err}`);
  });

  it("a Worker importing proxy-fcgi/fetch by name gets dist/workers/ and serves a request in workerd", async () => {
    // A moved or missing entry is a failure, never a skip.
    assert.ok(existsSync(path.join(root, "src/adapters/workers/entry.ts")), "src/adapters/workers/entry.ts is missing");
    // As wrangler does it: esbuild with the workerd/worker conditions, from the project that installed the package.
    const { build } = await import("esbuild");
    const { Miniflare } = await import("miniflare");
    const scriptPath = path.join(app, "worker.mjs");
    const result = await build({
      stdin: { contents: `export { default } from "proxy-fcgi/fetch";`, resolveDir: app, loader: "js" },
      outfile: scriptPath,
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:sockets"],
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((i) => i.includes("proxy-fcgi/dist/workers/entry.js")), inputs.join("\n"));
    assert.ok(!inputs.some((i) => /proxy-fcgi\/dist\/(node|deno|bun)\//.test(i)), inputs.join("\n"));
    // No nodejs_compat: the Workers build must not need it.
    let logs = "";
    const mf = new Miniflare({
      handleStructuredLogs: ({ message }: { message: string }) => void (logs += `${message}\n`),
      handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
        stdout.on("data", (d) => void (logs += d));
        stderr.on("data", (d) => void (logs += d));
      },
      modules: true,
      modulesRoot: app,
      scriptPath,
      compatibilityDate: "2026-04-01",
      bindings: { PROXY_FCGI_CONFIG: { "document-root": "/srv/www", routes: [{ path: "/", target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }] } },
    });
    try {
      const res = await mf.dispatchFetch("http://gateway.test/index.php?via=workerd", { headers: { "cf-connecting-ip": "203.0.113.7" } });
      const text = await res.text();
      assert.equal(res.status, 200, `${text}\n${logs}`);
      const body = JSON.parse(text) as EchoBody;
      assert.equal(body.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/index.php`);
      assert.equal(body.params.QUERY_STRING, "via=workerd");
      assert.equal(body.params.REMOTE_ADDR, "203.0.113.7");
      // workerd's stdio reaches us after the response at times.
      await waitFor(() => /uri=\/index\.php\?via=workerd .*status=200/.test(logs), 3000, `the access line in:\n${logs}`);
    } finally {
      await mf.dispose();
    }
  });
});

// Every example in examples/ started as its README says, on the runtime running this test, with one request
// sent through it to an echo backend, so the examples never rot. The Workers example runs in miniflare (from
// Node, which miniflare needs).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { runtime, sleep, startBackend } from "../helpers/harness.ts";
import { freePort } from "../helpers/daemon.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Example {
  readonly name: string;
  /** Command and arguments, run from the repository root. */
  readonly argv: (port: number) => string[];
  /** Path of a request that reaches the backend, and the SCRIPT_NAME it must arrive with. */
  readonly path: string;
}

const deno = [process.execPath];
const EXAMPLES: Record<typeof runtime, Example[]> = {
  node: [
    { name: "node.ts", argv: () => [process.execPath, "--import", "tsx", "examples/node.ts"], path: "/index.php" },
    { name: "hono-node.ts", argv: () => [process.execPath, "--import", "tsx", "examples/hono-node.ts"], path: "/php/index.php" },
  ],
  deno: [
    { name: "deno-serve.ts", argv: (port) => [...deno, "serve", "-A", "--port", String(port), "--host", "127.0.0.1", "examples/deno-serve.ts"], path: "/index.php" },
    { name: "hono-deno.ts", argv: () => [...deno, "run", "-A", "examples/hono-deno.ts"], path: "/php/index.php" },
  ],
  bun: [
    { name: "bun-run.ts", argv: () => [process.execPath, "run", "examples/bun-run.ts"], path: "/index.php" },
    { name: "hono-bun.ts", argv: () => [process.execPath, "run", "examples/hono-bun.ts"], path: "/php/index.php" },
  ],
};

describe(`examples on ${runtime}`, () => {
  let backend: ResponderServer & { port: number };
  let dir: string;
  let config: string;
  const children: ChildProcess[] = [];

  before(async () => {
    backend = await startBackend(echoHandler);
    dir = await mkdtemp(`${tmpdir()}/pfcgi-examples-`);
    config = `${dir}/proxy-fcgi.json`;
    await writeFile(config, JSON.stringify({ "document-root": "/srv/app", routes: [{ path: "/", target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }] }));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const example of EXAMPLES[runtime]) {
    it(`${example.name} serves a request through the gateway`, async () => {
      const port = await freePort();
      const [cmd, ...args] = example.argv(port);
      const child = spawn(cmd!, args, {
        cwd: root,
        env: { ...process.env, PORT: String(port), PROXY_FCGI_CONFIG: config, FCGI_TARGET: `fcgi://127.0.0.1:${backend.port}/srv/app/`, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let output = "";
      child.stdout!.on("data", (d) => { output += d; });
      child.stderr!.on("data", (d) => { output += d; });
      try {
        const res = await retryFetch(`http://127.0.0.1:${port}${example.path}?from=${example.name}`, child, () => output);
        const body = (await res.json()) as EchoBody;
        assert.equal(body.params.SCRIPT_NAME, example.path);
        assert.equal(body.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app${example.path.replace(/^\/php/, "")}`);
        assert.equal(body.params.QUERY_STRING, `from=${example.name}`);
        assert.equal(body.params.REMOTE_ADDR, "127.0.0.1");
      } finally {
        child.kill("SIGTERM");
        await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      }
    });
  }
});

/** Fetches once the example listens (it may take a moment to start), failing with its output if it dies. */
async function retryFetch(url: string, child: ChildProcess, output: () => string): Promise<Response> {
  const end = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the example exited with ${child.exitCode}:\n${output()}`);
    try {
      return await fetch(url);
    } catch {
      if (Date.now() > end) throw new Error(`the example did not answer within 15 s:\n${output()}`);
      await sleep(100);
    }
  }
}

describe("examples/workers.ts in miniflare", { skip: runtime !== "node" ? "miniflare runs it from Node; this runner covers its own runtime's examples" : false }, () => {
  it("serves a request through the Worker", async () => {
    const { Miniflare } = await import("miniflare");
    const { bundleWorker } = await import("./workers/bundle.ts");
    const backend = await startBackend(echoHandler);
    const dir = await mkdtemp(`${tmpdir()}/pfcgi-worker-example-`);
    const mf = new Miniflare({
      modules: true,
      modulesRoot: dir,
      scriptPath: await bundleWorker(dir, fileURLToPath(new URL("../../examples/workers.ts", import.meta.url)), "example.mjs"),
      compatibilityDate: "2026-04-01",
      bindings: { PROXY_FCGI_CONFIG: { routes: [{ path: "/", target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }] } },
    });
    try {
      const url = await mf.ready;
      const res = await fetch(new URL("/index.php?from=workers", url), { headers: { "cf-connecting-ip": "203.0.113.9" } });
      const body = (await res.json()) as EchoBody;
      assert.equal(body.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/index.php`);
      assert.equal(body.params.QUERY_STRING, "from=workers");
      assert.equal(body.params.REMOTE_ADDR, "203.0.113.9");
    } finally {
      await mf.dispose();
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

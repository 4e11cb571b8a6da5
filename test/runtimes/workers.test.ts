// The Workers build (src/adapters/workers/entry.ts bundled as a Worker) running in workerd through miniflare,
// against FastCGI backends on 127.0.0.1: the CGI environment, streaming, uploads (known length and spooled in
// memory), the 413/503/500 paths, production's outbound rules, the TLS setting, a user's own Worker built with
// handler(), Hono's fastcgi(), and the Durable Object pool.
// One miniflare (one workerd process) runs every Worker variant side by side, each with its own bindings.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { scriptedHandler } from "../backends/scripted.ts";
import { startBackend, waitFor } from "../helpers/harness.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";
import { listen } from "../../src/transport/listen.ts";
import { bundleWorker } from "./workers/bundle.ts";
import { pattern } from "./workers/pattern.ts";

type Backend = ResponderServer & { port: number };
type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

const MiB = 1024 * 1024;
const COMPATIBILITY_DATE = "2026-04-01";

const sha1 = (bytes: Uint8Array): string => createHash("sha1").update(bytes).digest("hex");

/** A body with no length: the client sends it chunked, the Worker sees no Content-Length. */
function chunked(bytes: Uint8Array, chunk = 256 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const l = await listen({ kind: "tcp", host: "127.0.0.1", port: 0 }, (c) => c.close());
  const ep = l.endpoint;
  await l.close();
  return ep.kind === "tcp" ? ep.port : 0;
}

describe("Cloudflare Workers build in miniflare (workerd)", () => {
  let dir: string;
  let mf: Miniflare;
  let echo: Backend;
  let scripted: Backend;
  let pooled: Backend;
  let down: number;
  const logs: string[] = [];
  const fetchers = new Map<string, Fetcher>();
  const worker = (name: string): Fetcher => fetchers.get(name)!;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pfcgi-workers-"));
    const scriptPath = await bundleWorker(dir);
    const fixture = (name: string) => fileURLToPath(new URL(`./workers/${name}.ts`, import.meta.url));
    const customPath = await bundleWorker(dir, fixture("custom-worker"), "custom-worker.mjs");
    const honoPath = await bundleWorker(dir, fixture("hono-worker"), "hono-worker.mjs");
    echo = await startBackend(echoHandler);
    scripted = await startBackend(scriptedHandler);
    pooled = await startBackend(echoHandler);
    down = await closedPort();
    const route = (path: string, port: number, extra: Record<string, string | number> = {}) =>
      ({ path, target: `fcgi://127.0.0.1:${port}/srv/app/`, ...extra });
    const main = {
      "document-root": "/srv/app",
      routes: [
        route("/echo/", echo.port),
        route("/small/", echo.port, { "max-body": 64 * 1024 }),
        route("/big/", echo.port, { "max-body": 64 * MiB }),
        route("/t/", scripted.port, { timeout: 5 }),
        route("/down/", down),
        route("/queued/", scripted.port, { max: 1, acquire: 5000 }),
      ],
    };
    const common = { modules: true, modulesRoot: dir, scriptPath, compatibilityDate: COMPATIBILITY_DATE };
    mf = new Miniflare({
      handleStructuredLogs: ({ message }: { message: string }) => void logs.push(message),
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.on("data", (d: Uint8Array) => void logs.push(String(d)));
        stderr.on("data", (d: Uint8Array) => void logs.push(String(d)));
      },
      workers: [
        // The config as a JSON var (an object).
        { name: "main", ...common, bindings: { PROXY_FCGI_CONFIG: main } },
        // As a string var; a unix: target, which workerd cannot reach.
        { name: "unix", ...common, bindings: { PROXY_FCGI_CONFIG: JSON.stringify({ routes: [{ path: "/php/", target: "unix:/run/php/fpm.sock|fcgi://localhost/srv/app/" }] }) } },
        // A site: Workers has no filesystem to serve it from.
        { name: "site", ...common, bindings: { PROXY_FCGI_CONFIG: { routes: [{ path: "/", root: "/srv/app", target: `fcgi://127.0.0.1:${echo.port}` }] } } },
        // Production's outbound rules: public addresses only.
        { name: "prod", ...common, bindings: { PROXY_FCGI_CONFIG: { routes: [route("/", echo.port)] } }, outboundService: { network: { allow: ["public"] } } },
        // Every request through the ProxyFcgiPool Durable Object.
        { name: "pool", ...common, bindings: { PROXY_FCGI_CONFIG: { routes: [route("/", pooled.port)] } }, durableObjects: { PROXY_FCGI_POOL: "ProxyFcgiPool" } },
        // TLS to a plaintext backend; a bad TLS setting; no configuration at all.
        { name: "tls", ...common, bindings: { PROXY_FCGI_CONFIG: { routes: [route("/", echo.port)] }, PROXY_FCGI_SECURE_TRANSPORT: "on" } },
        { name: "badtls", ...common, bindings: { PROXY_FCGI_CONFIG: { routes: [route("/", echo.port)] }, PROXY_FCGI_SECURE_TRANSPORT: "yes" } },
        { name: "nocfg", ...common },
        // A user's own Worker with handler(), and a Hono app with fastcgi().
        { name: "custom", ...common, scriptPath: customPath, bindings: { BACKEND_PORT: String(echo.port) } },
        { name: "hono", ...common, scriptPath: honoPath, bindings: { BACKEND_PORT: String(echo.port) } },
      ],
    });
    try {
      await mf.ready;
    } catch (e) {
      throw new Error(`miniflare did not start: ${(e as Error).message}\n${logs.join("")}`, { cause: e });
    }
    // The first Worker over plain HTTP, as a client would reach it (miniflare's dispatchFetch and getWorker
    // turn a body of known length into a chunked one under Node; a plain fetch keeps its Content-Length).
    const base = await mf.ready;
    fetchers.set("main", (path, init) => fetch(new URL(path, base), init));
    for (const name of ["unix", "site", "prod", "pool", "tls", "badtls", "nocfg", "custom", "hono"]) {
      // (Typed here: miniflare's Fetcher type needs @cloudflare/workers-types, which is not installed.)
      const w = (await mf.getWorker(name)) as unknown as { fetch(url: string, init?: RequestInit): Promise<Response> };
      fetchers.set(name, (path, init) => w.fetch(`http://gateway.test${path}`, init));
    }
  });

  after(async () => {
    // dispose() rethrows a failed start-up; the backends must be closed all the same.
    await mf?.dispose().catch(() => {});
    await echo?.close();
    await scripted?.close();
    await pooled?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const params = async (res: Response): Promise<EchoBody> => {
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as EchoBody;
  };

  it("builds the CGI environment: script paths, query, method, REMOTE_ADDR from cf-connecting-ip, no REMOTE_PORT", async () => {
    const res = await worker("main")("/echo/sub/index.php/extra?x=1&y=%20z", {
      headers: { "x-test": "hello", "cf-connecting-ip": "203.0.113.9", accept: "text/html" },
    });
    const { params: p } = await params(res);
    assert.equal(p.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${echo.port}/srv/app/sub/index.php/extra`);
    assert.equal(p.SCRIPT_NAME, "/echo/sub/index.php/extra");
    assert.equal(p.QUERY_STRING, "x=1&y=%20z");
    assert.equal(p.REQUEST_URI, "/echo/sub/index.php/extra?x=1&y=%20z");
    assert.equal(p.REQUEST_METHOD, "GET");
    assert.equal(p.DOCUMENT_ROOT, "/srv/app");
    assert.equal(p.REMOTE_ADDR, "203.0.113.9");
    assert.equal(p.REMOTE_PORT, "");
    assert.equal(p.SERVER_NAME, "127.0.0.1"); // the Host the client sent: miniflare's loopback listener
    assert.equal(p.HTTP_X_TEST, "hello");
    assert.equal(p.HTTP_ACCEPT, "text/html");
    assert.equal(p.GATEWAY_INTERFACE, "CGI/1.1");
  });

  it("serves concurrent requests, each on its own connection (sockets die with their request)", async () => {
    const before_ = echo.accepted;
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => worker("main")(`/echo/c${i}.php?i=${i}`).then(params)));
    all.forEach((b, i) => assert.equal(b.params.QUERY_STRING, `i=${i}`));
    assert.equal(echo.accepted - before_, 6);
  });

  it("max=1: a request waiting for the pool opens its own connection when woken (a socket belongs to its request)", async () => {
    const slow = { headers: { "x-test": "slow:200" } };
    const both = await Promise.all([worker("main")("/queued/a.php", slow), worker("main")("/queued/b.php", slow)]);
    assert.deepEqual(both.map((r) => r.status), [200, 200]);
    assert.deepEqual(await Promise.all(both.map((r) => r.text())), ["slow", "slow"]);
  });

  it("streams: the first event arrives before the backend has finished", async () => {
    const started = Date.now();
    const res = await worker("main")("/t/sse.php", { headers: { "x-test": "stream:3:400" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    assert.match(new TextDecoder().decode(first.value), /^data: 0 /);
    let text = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    const total = Date.now() - started;
    assert.equal(text.match(/^data: /gm)?.length, 3);
    assert.ok(firstAt < 400 && total >= 800, `first event after ${firstAt} ms, whole body after ${total} ms`);
  });

  it("a multi-MiB upload with a Content-Length arrives intact", async () => {
    const body = pattern(6 * MiB + 123);
    const res = await worker("main")("/echo/upload.php", { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    const b = await params(res);
    assert.equal(b.params.CONTENT_LENGTH, String(body.length));
    assert.equal(b.stdinLength, body.length);
    assert.equal(b.stdinSha1, sha1(body));
  });

  it("an upload of unknown length is spooled in memory and sent with CONTENT_LENGTH", async () => {
    const body = pattern(3 * MiB + 7);
    const res = await worker("main")("/echo/chunked.php", { method: "POST", body: chunked(body), duplex: "half" } as RequestInit);
    const b = await params(res);
    assert.equal(b.params.CONTENT_LENGTH, String(body.length));
    assert.equal(b.stdinLength, body.length);
    assert.equal(b.stdinSha1, sha1(body));
  });

  /**
   * The status the gateway answered `uri` with. The Worker answers 413 without reading the rest of the body
   * and workerd then closes the connection, so a client still sending (at least the last chunk of a chunked
   * body) may see a reset instead of the answer (Bun's fetch and Deno's node:http client sometimes do): then
   * the gateway's log line for that request says what it answered. A reset with no log line means the request
   * never reached the Worker (Bun reused the keep-alive connection the previous early answer had closed): it
   * is sent once more.
   */
  async function answered(send: () => Promise<Response>, uri: string): Promise<number> {
    const match = (l: string) => l.includes(`uri=${uri} `) && /status=\d+/.test(l);
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await send();
        await res.body?.cancel();
        return res.status;
      } catch (e) {
        const text = `${String(e)} ${String((e as Error).cause)} ${(e as { code?: string }).code}`;
        if (!/ECONNRESET|EPIPE|socket|closed/i.test(text)) throw e;
        await waitFor(() => logs.some(match), 1000, `the log line for ${uri}`).catch((wait: Error) => {
          if (attempt >= 2) throw new Error(`${wait.message} after: ${text}`);
        });
        const line = logs.find(match);
        if (line) return Number(/status=(\d+)/.exec(line)![1]);
      }
    }
  }

  it("413 over max-body with a Content-Length (refused before reading the body)", async () => {
    const uri = "/small/known.php";
    assert.equal(await answered(() => worker("main")(uri, { method: "POST", body: pattern(64 * 1024 + 1) }), uri), 413);
    const match = (l: string) => l.includes(`uri=${uri} `) && l.includes("status=413");
    await waitFor(() => logs.some(match), 3000, "the 413 log line"); // logs arrive after the response at times
    assert.match(logs.find(match)!, /Content-Length 65537 is over max-body 65536/);
  });

  it("413 over max-body without a length (spooling stops at the limit)", async () => {
    const uri = "/small/unknown.php";
    const send = () => worker("main")(uri, { method: "POST", body: chunked(pattern(64 * 1024 + 1), 16 * 1024), duplex: "half" } as RequestInit);
    assert.equal(await answered(send, uri), 413);
  });

  it("413 over the 32 MiB in-memory spool of Workers, even under a larger max-body", async () => {
    // max-body is 64 MiB on /big/, but without a filesystem an unknown-length body can only be spooled in memory.
    const uri = "/big/capped.php";
    const send = () => worker("main")(uri, { method: "POST", body: chunked(new Uint8Array(32 * MiB + 1), MiB), duplex: "half" } as RequestInit);
    assert.equal(await answered(send, uri), 413);
    const match = (l: string) => l.includes(uri) && l.includes("status=413");
    await waitFor(() => logs.some(match), 3000, "the 413 log line");
    assert.match(logs.find(match)!, /over max-body 33554432/);
  });

  it("backend down → 503, and the log line carries workerd's reason", async () => {
    const res = await worker("main")("/down/x.php");
    assert.equal(res.status, 503);
    await res.body?.cancel();
    await waitFor(() => logs.some((l) => l.includes(`127.0.0.1:${down}`) && l.includes("status=503")), 3000, "the 503 log line");
    const line = logs.find((l) => l.includes(`127.0.0.1:${down}`) && l.includes("status=503"))!;
    assert.match(line, /ECONNREFUSED/);
    assert.match(line, /cannot connect to the specified address/);
  });

  it("a unix: target is a configuration error: 500, and the log names the route", async () => {
    const res = await worker("unix")("/php/index.php");
    assert.equal(res.status, 500);
    assert.match(await res.text(), /configuration/);
    const match = (l: string) => l.includes("configuration error") && l.includes('route "/php/"');
    await waitFor(() => logs.some(match), 3000, "the config error log line");
    const line = logs.find(match)!;
    assert.match(line, /PROXY_FCGI_CONFIG/);
    assert.match(line, /Unix sockets/);
  });

  it("a site (a route with root) is a configuration error: Workers has no filesystem", async () => {
    const res = await worker("site")("/index.php");
    assert.equal(res.status, 500);
    await res.arrayBuffer();
    await waitFor(() => logs.some((l) => l.includes("configuration error") && l.includes("needs a filesystem")), 3000, "the site config error line");
  });

  it("with production's outbound rules a loopback backend is refused: 503, and the log says it could not be reached", async () => {
    const before_ = echo.accepted;
    const res = await worker("prod")("/index.php");
    assert.equal(res.status, 503);
    await res.body?.cancel();
    const match = (l: string) => l.includes("status=503") && l.includes("uri=/index.php ");
    await waitFor(() => logs.some(match), 3000, "the 503 log line");
    assert.match(logs.find(match)!, /cannot connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\): workerd: .*cannot connect to the specified address/);
    assert.equal(echo.accepted, before_, "nothing reached the backend");
  });

  it("the ProxyFcgiPool Durable Object reuses one backend connection across requests", async () => {
    for (let i = 0; i < 6; i++) {
      const b = await params(await worker("pool")(`/r${i}.php`, { headers: { "cf-connecting-ip": "198.51.100.4" } }));
      assert.equal(b.params.REMOTE_ADDR, "198.51.100.4");
      assert.equal(b.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${pooled.port}/srv/app/r${i}.php`);
    }
    // One connection for the pool's background FCGI_GET_VALUES probe, one that served all six requests.
    assert.equal(pooled.getValues, 1);
    assert.equal(pooled.accepted, 2);
    // Concurrent requests share the object's pool too (more connections, kept up to smax).
    const all = await Promise.all(Array.from({ length: 5 }, (_, i) => worker("pool")(`/c${i}.php?i=${i}`).then(params)));
    all.forEach((b, i) => assert.equal(b.params.QUERY_STRING, `i=${i}`));
  });

  it("PROXY_FCGI_SECURE_TRANSPORT=on speaks TLS to the backend (a plaintext one fails: 503)", async () => {
    const res = await worker("tls")("/tls-check.php");
    assert.equal(res.status, 503);
    await res.body?.cancel();
  });

  it("a bad PROXY_FCGI_SECURE_TRANSPORT or a missing PROXY_FCGI_CONFIG is a configuration error (500, logged)", async () => {
    const bad = await worker("badtls")("/x.php");
    assert.equal(bad.status, 500);
    await bad.body?.cancel();
    const none = await worker("nocfg")("/x.php");
    assert.equal(none.status, 500);
    await none.body?.cancel();
    await waitFor(() => logs.some((l) => l.includes('PROXY_FCGI_SECURE_TRANSPORT must be "on" or "off"')), 3000, "the TLS setting log line");
    await waitFor(() => logs.some((l) => l.includes("the PROXY_FCGI_CONFIG binding is not set")), 3000, "the missing binding log line");
  });

  it("handler(config) in a user's own Worker", async () => {
    const { params: p } = await params(await worker("custom")("/app/x.php?q=1", { headers: { "cf-connecting-ip": "2001:db8::7" } }));
    assert.equal(p.SCRIPT_FILENAME, "/srv/custom/x.php");
    assert.equal(p.DOCUMENT_ROOT, "/srv/custom");
    assert.equal(p.REMOTE_ADDR, "2001:db8::7");
    assert.equal(p.QUERY_STRING, "q=1");
  });

  it("Hono's fastcgi() on Workers finds the cloudflare:sockets shim by itself", async () => {
    const { params: p } = await params(await worker("hono")("/php/sub/index.php?a=b", { headers: { "cf-connecting-ip": "192.0.2.33" } }));
    assert.equal(p.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${echo.port}/srv/hono/sub/index.php`);
    assert.equal(p.SCRIPT_NAME, "/php/sub/index.php");
    assert.equal(p.REMOTE_ADDR, "192.0.2.33");
    assert.equal(p.QUERY_STRING, "a=b");
  });
});

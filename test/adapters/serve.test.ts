// The gateway behind each runtime's own HTTP server: what the client sees on the wire, and what the runtime
// tells the CGI environment (client address, raw target, protocol).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { scriptedHandler } from "../backends/scripted.ts";
import { runtime, serveGateway, sleep, startBackend, testGateway, waitFor, type TestGateway } from "../helpers/harness.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";
import { serve } from "../../src/adapters/serve.ts";

/** Sends raw bytes and collects everything until the server closes or `ms` pass. */
function raw(port: number, text: string | Uint8Array[], ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let out = "";
    const timer = setTimeout(() => sock.destroy(), ms);
    sock.on("data", (d) => { out += d.toString("latin1"); });
    sock.on("close", () => { clearTimeout(timer); resolve(out); });
    sock.on("error", (e) => { clearTimeout(timer); if (out) resolve(out); else reject(e); });
    if (typeof text === "string") sock.write(text);
    else for (const part of text) sock.write(part);
  });
}

describe(`serving on ${runtime}`, () => {
  let echo: ResponderServer & { port: number };
  let scripted: ResponderServer & { port: number };
  let gw: TestGateway;
  let server: Awaited<ReturnType<typeof serveGateway>>;

  before(async () => {
    echo = await startBackend(echoHandler);
    scripted = await startBackend(scriptedHandler);
    gw = testGateway([`/echo/ fcgi://127.0.0.1:${echo.port}/srv/`, `/t/ fcgi://127.0.0.1:${scripted.port}/srv/ timeout=2`]);
    server = await serveGateway(gw.gateway);
  });
  after(async () => {
    await server.close(1000);
    await gw.close();
    await echo.close();
    await scripted.close();
  });

  it("fills REMOTE_ADDR, REMOTE_PORT, SERVER_ADDR, SERVER_PORT from the real connection", async () => {
    const res = await fetch(`${server.url}/echo/a.php?x=%7E~`);
    const { params } = (await res.json()) as EchoBody;
    assert.equal(params.REMOTE_ADDR, "127.0.0.1");
    assert.match(params.REMOTE_PORT!, /^\d+$/);
    assert.notEqual(params.REMOTE_PORT, String(server.port));
    assert.equal(params.SERVER_ADDR, "127.0.0.1");
    assert.equal(params.SERVER_PORT, String(server.port));
    assert.equal(params.SERVER_NAME, "127.0.0.1");
    assert.equal(params.SERVER_PROTOCOL, "HTTP/1.1");
    assert.equal(params.QUERY_STRING, "x=%7E~");
  });

  it("REQUEST_URI is the request-target as sent (raw on Node; the parsed URL elsewhere)", async () => {
    const out = await raw(server.port, "GET /echo//a.php?q=%41&r=a%20b HTTP/1.0\r\nHost: h.test\r\n\r\n");
    const body = JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4)) as EchoBody;
    assert.equal(body.params.REQUEST_URI, "/echo//a.php?q=%41&r=a%20b");
    assert.equal(body.params.SCRIPT_NAME, "/echo/a.php");
    assert.equal(body.params.QUERY_STRING, "q=%41&r=a%20b");
    assert.equal(body.params.SERVER_NAME, "h.test");
    assert.equal(body.params.SERVER_PROTOCOL, runtime === "node" ? "HTTP/1.0" : "HTTP/1.1");
  });

  it("a chunked upload reaches the backend with CONTENT_LENGTH", async () => {
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const out = await raw(server.port, `POST /echo/up HTTP/1.1\r\nHost: h\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunk("hello ")}${chunk("world")}0\r\n\r\n`);
    const body = JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n/, "").replace(/\r\n0\r\n\r\n$/, "")) as EchoBody;
    assert.equal(body.params.CONTENT_LENGTH, "11");
    assert.equal(body.stdinLength, 11);
  });

  it("sends the Status reason phrase where the runtime can, several Set-Cookie lines, no backend Content-Length", async () => {
    const out = await raw(server.port, "GET /t/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Test: status\r\n\r\n");
    const statusLine = out.slice(0, out.indexOf("\r\n"));
    assert.match(statusLine, /^HTTP\/1\.1 201 /);
    if (runtime === "node") assert.equal(statusLine, "HTTP/1.1 201 Made");
    assert.equal(out.match(/^set-cookie: /gim)?.length, 2);
    assert.doesNotMatch(out, /content-length: 999/i);
    assert.ok(out.endsWith("body") || out.endsWith("0\r\n\r\n"), "a complete body");
  });

  it("streams server-sent events as they are written", async () => {
    const res = await fetch(`${server.url}/t/sse`, { headers: { "x-test": "stream:3:150" } });
    const reader = res.body!.getReader();
    const first = await reader.read();
    const sentAt = Number(new TextDecoder().decode(first.value).split(" ")[2]);
    assert.ok(Date.now() - sentAt < 140, `first event arrived ${Date.now() - sentAt} ms after it was written`);
    while (!(await reader.read()).done);
  });

  it("a backend failing mid-body leaves the client with an incomplete response, not a clean end", async () => {
    const out = await raw(server.port, "GET /t/x HTTP/1.1\r\nHost: h\r\nX-Test: closemidbody\r\n\r\n");
    assert.match(out, /^HTTP\/1\.1 200/);
    assert.match(out, /some of the body/);
    assert.ok(!out.endsWith("0\r\n\r\n"), "no terminating chunk");
  });

  it("a client that disconnects mid-response makes the gateway abort the backend request", async () => {
    const before = scripted.aborts;
    const sock = connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => {
      sock.on("data", (d) => { if (d.toString().includes("started;")) resolve(); });
      sock.write("GET /t/x HTTP/1.1\r\nHost: h\r\nX-Test: hang\r\n\r\n");
    });
    sock.destroy();
    await waitFor(() => scripted.aborts === before + 1, 3000, "ABORT_REQUEST at the backend");
    await waitFor(() => gw.gateway.stats().inFlight === 0, 3000, "exchange finished");
  });

  it("a client that disconnects before the response head makes the gateway abort the backend request", async () => {
    const before = scripted.aborts;
    const sock = connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => sock.write("GET /t/x HTTP/1.1\r\nHost: h\r\nX-Test: slow:4000\r\n\r\n", () => resolve()));
    await waitFor(() => gw.gateway.stats().inFlight === 1, 2000, "the exchange started");
    await sleep(300); // past a tick, so the client-gone watch is on
    sock.destroy();
    await waitFor(() => scripted.aborts === before + 1, 3000, "ABORT_REQUEST at the backend");
    await waitFor(() => gw.gateway.stats().inFlight === 0, 3000, "exchange finished");
  });

  it("maps errors to status codes on the wire", async () => {
    assert.equal((await fetch(`${server.url}/nowhere`)).status, 404);
    const bad = await raw(server.port, "GET /echo/a%zz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    assert.match(bad, /^HTTP\/1\.1 400/);
    const slow = await fetch(`${server.url}/t/x`, { headers: { "x-test": "slow:5000" } });
    assert.equal(slow.status, 504);
    await slow.text();
  });

  it("serve(gateway.fetch), a plain fetch handler, answers exactly as serve(gateway) does", async () => {
    const plain = await serve(gw.gateway.fetch, { host: "127.0.0.1", port: 0 });
    try {
      const ask = (port: number, target: string, headers: string) =>
        raw(port, `GET ${target} HTTP/1.1\r\nHost: h.test\r\n${headers}Connection: close\r\n\r\n`);
      // Framing may differ (a fetch handler's body is a stream: chunked); the message may not.
      const normalise = (out: string) => {
        const [head, rest] = [out.slice(0, out.indexOf("\r\n\r\n")), out.slice(out.indexOf("\r\n\r\n") + 4)];
        const fields = head.split("\r\n").slice(1).map((l) => l.toLowerCase());
        const chunked = fields.includes("transfer-encoding: chunked");
        let body = rest;
        if (chunked) {
          body = "";
          for (let at = 0; ;) {
            const eol = rest.indexOf("\r\n", at);
            const size = parseInt(rest.slice(at, eol), 16);
            if (!size) break;
            body += rest.slice(eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
          }
        }
        const kept = fields.filter((l) => !/^(date|connection|keep-alive|content-length|transfer-encoding):/.test(l));
        return { status: head.split("\r\n")[0], fields: kept.sort(), body };
      };
      for (const [target, headers] of [
        ["/t/s.php", "X-Test: status\r\n"],
        ["/echo/e.php?a=1", "X-Dup: one\r\nX-Dup: two\r\nCookie: c=1\r\n"],
        ["/nowhere", ""],
      ] as const) {
        const lean = normalise(await ask(server.port, target, headers));
        const fetched = normalise(await ask(plain.port, target, headers));
        if (target.startsWith("/echo/")) {
          const a = (JSON.parse(lean.body) as EchoBody).params, b = (JSON.parse(fetched.body) as EchoBody).params;
          delete a.REMOTE_PORT, delete b.REMOTE_PORT, delete a.SERVER_PORT, delete b.SERVER_PORT;
          assert.deepEqual(a, b);
          assert.equal(a.HTTP_X_DUP, "one, two");
          lean.body = fetched.body = "";
        }
        assert.deepEqual(lean, fetched, target);
      }
    } finally {
      await plain.close(1000);
    }
  });
});

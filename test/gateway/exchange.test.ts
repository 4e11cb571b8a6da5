// The gateway against the project's own backends, including ones that misbehave on purpose.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { scriptedHandler } from "../backends/scripted.ts";
import { startBackend, testGateway, waitFor, type TestGateway } from "../helpers/harness.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";
import type { Connector } from "../../src/transport/types.ts";

describe("exchange with a well-behaved backend", () => {
  let backend: ResponderServer & { port: number };
  let gw: TestGateway;
  before(async () => {
    backend = await startBackend(echoHandler);
    gw = testGateway([`/app/ fcgi://127.0.0.1:${backend.port}/srv/app/`]);
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });

  it("sends the CGI environment and returns the backend's body", async () => {
    const res = await gw.request("/app/index.php?a=1&b=%20x", { headers: { "x-custom": "v", "user-agent": "t" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = (await res.json()) as EchoBody;
    const p = body.params;
    assert.equal(p.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/index.php`);
    assert.equal(p.SCRIPT_NAME, "/app/index.php");
    assert.equal(p.QUERY_STRING, "a=1&b=%20x");
    assert.equal(p.REQUEST_URI, "/app/index.php?a=1&b=%20x");
    assert.equal(p.REQUEST_METHOD, "GET");
    assert.equal(p.HTTP_X_CUSTOM, "v");
    assert.equal(p.REMOTE_ADDR, "127.0.0.2");
    assert.equal(p.REMOTE_PORT, "40000");
    assert.equal(p.SERVER_NAME, "gateway.test");
    assert.equal(p.SERVER_PORT, "8080");
    assert.equal(p.GATEWAY_INTERFACE, "CGI/1.1");
    assert.equal(p.DOCUMENT_ROOT, "/srv/www");
    assert.equal(p.PATH_INFO, undefined);
    assert.equal(p.CONTENT_LENGTH, undefined);
  });

  it("sends a small POST body inline with CONTENT_LENGTH and CONTENT_TYPE", async () => {
    const res = await gw.request("/app/post", { method: "POST", body: "hello=world", headers: { "content-type": "application/x-www-form-urlencoded" } });
    const body = (await res.json()) as EchoBody;
    assert.equal(body.stdinLength, 11);
    assert.equal(body.params.CONTENT_LENGTH, "11");
    assert.equal(body.params.CONTENT_TYPE, "application/x-www-form-urlencoded");
    assert.equal(body.params.HTTP_CONTENT_TYPE, undefined);
    assert.equal(body.params.HTTP_CONTENT_LENGTH, undefined);
  });

  it("streams a large body with its declared length", async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const res = await gw.request("/app/up", { method: "PUT", body: data });
    const body = (await res.json()) as EchoBody;
    assert.equal(body.stdinLength, data.length);
    assert.equal(body.params.CONTENT_LENGTH, String(data.length));
    const { createHash } = await import("node:crypto");
    assert.equal(body.stdinSha1, createHash("sha1").update(data).digest("hex"));
  });

  it("spools a body of unknown length and sends it with CONTENT_LENGTH", async () => {
    const parts = [new Uint8Array(700_000).fill(1), new Uint8Array(600_000).fill(2), new Uint8Array(5).fill(3)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const res = await gw.request("/app/chunked", { method: "POST", body: stream });
    const body = (await res.json()) as EchoBody;
    assert.equal(body.params.CONTENT_LENGTH, "1300005");
    assert.equal(body.stdinLength, 1300005);
    assert.equal(body.params.HTTP_TRANSFER_ENCODING, undefined);
  });

  it("refuses a declared body over max-body with 413 without contacting the backend", async () => {
    const small = testGateway([`/ fcgi://127.0.0.1:${backend.port}/ max-body=1k`]);
    const before = backend.accepted;
    const res = await small.request("/x", { method: "POST", body: new Uint8Array(2000) });
    assert.equal(res.status, 413);
    assert.equal(backend.accepted, before);
    const res2 = await small.request("/x", {
      method: "POST",
      body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array(800)); c.enqueue(new Uint8Array(800)); c.close(); } }),
    });
    assert.equal(res2.status, 413);
    await small.close();
  });

  it("routes: no route is 404, prefixes match at segment boundaries", async () => {
    assert.equal((await gw.request("/other")).status, 404);
    assert.equal((await gw.request("/application")).status, 404);
    assert.equal((await gw.request("/app")).status, 404); // "/app/" needs the slash
    const res = await gw.request("//app///x.php");
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as EchoBody).params.SCRIPT_NAME, "/app/x.php");
  });

  it("refuses encoded slashes and NULs (404), bad escapes (400) and %3F or control bytes under FPM (403)", async () => {
    assert.equal((await gw.request("/app/a%2Fb.php")).status, 404);
    assert.equal((await gw.request("/app/a%0Ab.php")).status, 403);
    assert.equal((await gw.request("/app/a%zzb.php")).status, 400);
    assert.equal((await gw.request("/app/admin.php%3Fx.php")).status, 403);
    assert.equal((await gw.request("/app/a%00b.php")).status, 404); // Apache's ap_unescape_url
    assert.ok(gw.logs.some((l) => / status=403 .*"\?" in script path/.test(l.line)), "403 is logged with its reason");
  });
});

describe("exchange with a misbehaving backend", () => {
  let backend: ResponderServer & { port: number };
  let gw: TestGateway;
  before(async () => {
    backend = await startBackend(scriptedHandler);
    gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ timeout=300ms`]);
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });
  const req = (test: string, init: RequestInit = {}) =>
    gw.request("/t.php", { ...init, headers: { "x-test": test, ...(init.headers as Record<string, string> | undefined) } });

  it("Status, reason phrase, cookies, and the backend's Content-Length dropped", async () => {
    const res = await req("status");
    assert.equal(res.status, 201);
    assert.equal(res.statusText, "Made");
    assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.equal(res.headers.get("location"), "/elsewhere");
    assert.equal(res.headers.get("content-length"), null);
    assert.equal(res.headers.get("x-thing"), "yes");
    assert.equal(await res.text(), "body");
  });

  it("Location without Status is a 302, local or absolute", async () => {
    const a = await req("location");
    assert.equal(a.status, 302);
    assert.equal(a.headers.get("location"), "http://example.test/next");
    await a.body?.cancel();
    const b = await req("location:/local/path");
    assert.equal(b.status, 302);
    await b.body?.cancel();
  });

  it("204 and 304 carry no body; HEAD gets none either", async () => {
    const a = await req("nocontent:204");
    assert.equal(a.status, 204);
    assert.equal(a.body, null);
    const b = await req("nocontent:304");
    assert.equal(b.status, 304);
    assert.equal(b.body, null);
    const c = await req("size:100000", { method: "HEAD" });
    assert.equal(c.status, 200);
    assert.equal(c.body, null);
    await waitFor(() => gw.gateway.stats().inFlight === 0, 2000, "HEAD drained");
  });

  it("streams flushed output as it is written", async () => {
    const res = await req("stream:4:80");
    const reader = res.body!.getReader();
    const first = await reader.read();
    const stamp = Number(new TextDecoder().decode(first.value).split(" ")[2]);
    const receivedAt = Date.now();
    assert.ok(receivedAt - stamp < 200, "first event arrives before the backend is done (4 x 80 ms)");
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    assert.match(rest, /data: 3 /);
  });

  it("a large body streams through with backpressure", async () => {
    const res = await req(`size:${8 * 1024 * 1024}`);
    let n = 0;
    for await (const chunk of res.body!) n += (chunk as Uint8Array).length;
    assert.equal(n, 8 * 1024 * 1024);
  });

  it("STDERR is logged line by line with the request id, not mixed into the body", async () => {
    const res = await req("stderr:third");
    assert.equal(await res.text(), "ok");
    const lines = gw.logs.filter((l) => l.line.includes("stderr:"));
    assert.ok(lines.some((l) => /req=[0-9a-f]{6}-\d+ .*stderr: first problem/.test(l.line)));
    assert.ok(lines.some((l) => /stderr: second problem/.test(l.line)));
    assert.ok(lines.some((l) => /stderr: third$/.test(l.line)));
  });

  it("invalid heads are 502 with the reason logged", async () => {
    for (const kind of ["nocolon", "status", "info", "crlf"]) {
      const res = await req(`badhead:${kind}`);
      assert.equal(res.status, 502, kind);
      await res.body?.cancel();
    }
    assert.ok(gw.logs.some((l) => / status=502 .*invalid response head/.test(l.line)));
  });

  it("a head line over the limit is 502 naming the limit", async () => {
    const res = await req("bighead:9000");
    assert.equal(res.status, 502);
    assert.ok(gw.logs.some((l) => /status=502.*8192/.test(l.line)), "log names the 8192-byte line limit");
    const ok = await req("bighead:8000");
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  });

  it("backend closing early is 502; END_REQUEST statuses map to 503/502", async () => {
    const cases: Array<[string, number]> = [
      ["closeearly", 502],
      ["closemidhead", 502],
      ["endstatus:complete", 502],
      ["endstatus:overloaded", 503],
      ["endstatus:cantmpx", 503],
      ["endstatus:unknownrole", 502],
      ["wrongid", 502],
      ["badversion", 502],
    ];
    for (const [test, status] of cases) {
      const res = await req(test);
      assert.equal(res.status, status, test);
      await res.body?.cancel();
    }
  });

  it("a connection lost mid-body aborts the client's response (never a clean end)", async () => {
    const res = await req("closemidbody");
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
  });

  it("a backend silent past the io timeout: 504 before the head, aborted body after", async () => {
    const res = await req("slow:2000");
    assert.equal(res.status, 504);
    assert.ok(gw.logs.some((l) => /status=504 .*300 ms/.test(l.line)));
    const res2 = await req("stall:2000");
    assert.equal(res2.status, 200);
    await assert.rejects(res2.text());
  });

  it("a backend that answers before reading the body still gets a clean answer to the client", async () => {
    const res = await req("early", { method: "POST", body: new Uint8Array(200_000) });
    assert.equal(res.status, 403);
    assert.equal(await res.text(), "no thanks");
  });

  it("client abort sends FCGI_ABORT_REQUEST and closes the backend connection", async () => {
    const aborter = new AbortController();
    const res = await req("hang", { signal: aborter.signal });
    assert.equal(res.status, 200);
    const before = backend.aborts;
    const reader = res.body!.getReader();
    await reader.read();
    aborter.abort();
    await reader.cancel().catch(() => {});
    await waitFor(() => backend.aborts === before + 1, 2000, "ABORT_REQUEST at the backend");
    await waitFor(() => backend.connections === 0, 2000, "backend connection closed");
    assert.equal(gw.gateway.stats().inFlight, 0);
  });
});

describe("backend down", () => {
  it("connect refused is 503, tried on every request", async () => {
    const probe = await startBackend(echoHandler);
    const port = probe.port;
    await probe.close();
    const gw = testGateway([`/ fcgi://127.0.0.1:${port}/`]);
    for (let i = 0; i < 2; i++) {
      const res = await gw.request("/x");
      assert.equal(res.status, 503);
      assert.match(await res.text(), /503 Service Unavailable/);
    }
    assert.ok(gw.logs.some((l) => /status=503 .*ECONNREFUSED/.test(l.line)));
    await gw.close();
  });

  it("a missing unix socket is 503 (ENOENT)", async () => {
    const gw = testGateway([`/ unix:/tmp/proxy-fcgi-no-such.sock|fcgi://localhost/srv/`]);
    const res = await gw.request("/x");
    assert.equal(res.status, 503);
    assert.ok(gw.logs.some((l) => /ENOENT/.test(l.line)));
    await gw.close();
  });
});

describe("what goes on the wire", () => {
  it("a small request leaves in ONE transport write (Nagle is on in Deno and Node)", async () => {
    const backend = await startBackend(echoHandler);
    const { runtimeConnector } = await import("../../src/platform/connector.ts");
    const inner = await runtimeConnector();
    const writes: number[] = [];
    const counting: Connector = async (ep, opts) => {
      const conn = await inner(ep, opts);
      const i = writes.push(0) - 1;
      const write = conn.write.bind(conn);
      conn.write = (data) => {
        writes[i]!++;
        return write(data);
      };
      return conn;
    };
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ disablereuse=on`], { options: { connector: counting } });
    try {
      assert.equal((await gw.request("/a.php?x=1", { headers: { cookie: "a=b", "user-agent": "x".repeat(300) } })).status, 200);
      assert.equal((await gw.request("/a.php", { method: "POST", body: "x".repeat(10_000) })).status, 200);
      assert.deepEqual(writes, [1, 1]);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a CGI variable too big for one FastCGI record is refused with 431 and logged, never dropped", async () => {
    const backend = await startBackend(echoHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      const res = await gw.request("/a.php", { headers: { "x-huge": "h".repeat(70_000) } });
      assert.equal(res.status, 431);
      assert.equal(backend.accepted, 0);
      assert.ok(gw.logs.some((l) => /status=431 .*HTTP_X_HUGE/.test(l.line)));
      // Just under the record limit still goes through, in its own PARAMS record.
      const ok = await gw.request("/a.php", { headers: { "x-big": "b".repeat(65_000) } });
      assert.equal(((await ok.json()) as EchoBody).params.HTTP_X_BIG!.length, 65_000);
    } finally {
      await gw.close();
      await backend.close();
    }
  });
});

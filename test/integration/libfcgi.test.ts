// The gateway against a C application on libfcgi (test/backends/fcgi-echo.c), built and started once for
// this file: the params it receives, a POST body's length, and concurrent requests.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { serveGateway, testGateway, waitFor, type TestGateway } from "../helpers/harness.ts";
import { parseEnvLines, randomBytes, streamOf } from "../helpers/integration-util.ts";
import { libfcgiMissing, startLibfcgiApp, type LibfcgiApp } from "../helpers/libfcgi-app.ts";

async function echoed(res: Response): Promise<{ env: Map<string, string>; stdinLength: number; worker: string }> {
  const text = await res.text();
  assert.equal(res.status, 200, `status ${res.status}: ${text.slice(0, 500)}`);
  return {
    env: parseEnvLines(text),
    stdinLength: Number(res.headers.get("x-stdin-length")),
    worker: res.headers.get("x-worker") ?? "",
  };
}

describeWithBackend("libfcgi C application", libfcgiMissing(), () => {
  let app: LibfcgiApp;
  let gw: TestGateway;

  before(async () => {
    app = await startLibfcgiApp({ threads: 32 });
    gw = testGateway([
      `/app/ fcgi://127.0.0.1:${app.port}/srv/app/`,
      `/generic/ fcgi://127.0.0.1:${app.port}/srv/app/ backend-type=GENERIC`,
    ], { documentRoot: "/srv/app" });
  });

  after(async () => {
    await gw?.close();
    await app?.close();
  });

  it("receives the CGI environment the gateway builds", async () => {
    const { env, stdinLength } = await echoed(await gw.request("/app/index.fcgi?x=1&y=%41", { headers: { "Accept-Language": "fr" } }));
    assert.equal(env.get("SCRIPT_FILENAME"), `proxy:fcgi://127.0.0.1:${app.port}/srv/app/index.fcgi`);
    assert.equal(env.get("SCRIPT_NAME"), "/app/index.fcgi");
    assert.equal(env.get("REQUEST_URI"), "/app/index.fcgi?x=1&y=%41");
    assert.equal(env.get("QUERY_STRING"), "x=1&y=%41");
    assert.equal(env.get("REQUEST_METHOD"), "GET");
    assert.equal(env.get("GATEWAY_INTERFACE"), "CGI/1.1");
    assert.equal(env.get("SERVER_PROTOCOL"), "HTTP/1.1");
    assert.equal(env.get("REMOTE_ADDR"), "127.0.0.2");
    assert.equal(env.get("REMOTE_PORT"), "40000");
    assert.equal(env.get("SERVER_ADDR"), "127.0.0.1");
    assert.equal(env.get("SERVER_PORT"), "8080");
    assert.equal(env.get("DOCUMENT_ROOT"), "/srv/app");
    assert.equal(env.get("HTTP_ACCEPT_LANGUAGE"), "fr");
    assert.equal(env.has("PATH_INFO"), false);
    assert.equal(env.has("CONTENT_LENGTH"), false);
    assert.equal(stdinLength, 0);
    // Nothing of the app's own process environment: libfcgi hands over the params only.
    assert.equal(env.has("PATH"), false);

    const generic = await echoed(await gw.request("/generic/index.fcgi?q"));
    assert.equal(generic.env.get("SCRIPT_FILENAME"), "/srv/app/index.fcgi");
  });

  it("reads a POST body of the declared length, streamed or chunked", async () => {
    for (const size of [1, 16 * 1024, 16 * 1024 + 1, 1024 * 1024 + 17]) {
      const body = randomBytes(size);
      const { env, stdinLength } = await echoed(await gw.request("/app/post", {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": String(size) },
        body,
      }));
      assert.equal(env.get("CONTENT_LENGTH"), String(size));
      assert.equal(env.get("CONTENT_TYPE"), "application/octet-stream");
      assert.equal(stdinLength, size, `${size}-byte body`);
    }
    const body = randomBytes(700_001);
    const chunked = await echoed(await gw.request("/app/post", { method: "POST", body: streamOf(body, 33_333) }));
    assert.equal(chunked.env.get("CONTENT_LENGTH"), String(body.length));
    assert.equal(chunked.stdinLength, body.length);
  });

  it("serves 20 concurrent requests side by side", async () => {
    const delay = 300;
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const body = randomBytes(1000 + i);
      const res = await gw.request(`/app/concurrent?delay_ms=${delay}&seq=${i}`, {
        method: "POST",
        headers: { "x-seq": String(i), "content-length": String(body.length) },
        body,
      });
      return { i, ...(await echoed(res)) };
    }));
    const elapsed = Date.now() - started;
    for (const r of results) {
      assert.equal(r.env.get("HTTP_X_SEQ"), String(r.i), "each response belongs to its request");
      assert.equal(r.env.get("QUERY_STRING"), `delay_ms=${delay}&seq=${r.i}`);
      assert.equal(r.stdinLength, 1000 + r.i);
    }
    const workers = new Set(results.map((r) => r.worker));
    assert.ok(workers.size > 1, `all 20 requests were served by worker ${[...workers].join(",")}`);
    // One after another they would take 20 × 300 ms = 6 s.
    assert.ok(elapsed < 20 * delay / 2, `20 requests took ${elapsed} ms: they were not served concurrently`);
    await waitFor(() => gw.gateway.stats().inFlight === 0, 2000, "no request in flight");
    // Pooled connections beyond smax (4 idle) close once released.
    await waitFor(() => gw.gateway.stats().routes[0]!.pool.open <= 4, 2000, "surplus connections to close");
    assert.equal(gw.gateway.stats().routes[0]!.pool.busy, 0);
  });

  describe("through the runtime's HTTP server", () => {
    it("env and a POST body over real HTTP", async () => {
      const server = await serveGateway(gw.gateway);
      try {
        const body = randomBytes(123_456);
        const { env, stdinLength } = await echoed(await fetch(`${server.url}/app/over-http?z=9`, { method: "POST", body }));
        assert.equal(env.get("REMOTE_ADDR"), "127.0.0.1");
        assert.equal(env.get("HTTP_HOST"), `127.0.0.1:${server.port}`);
        assert.equal(env.get("SERVER_PORT"), String(server.port));
        assert.equal(env.get("QUERY_STRING"), "z=9");
        assert.equal(env.get("CONTENT_LENGTH"), String(body.length));
        assert.equal(stdinLength, body.length);
      } finally {
        await server.close(0);
      }
    });
  });
});

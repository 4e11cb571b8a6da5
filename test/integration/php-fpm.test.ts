// The gateway against a real PHP-FPM (one private instance for this file): the CGI environment as PHP sees
// it, large and chunked uploads, flushed streaming, response heads, STDERR, errors, timeouts, client aborts,
// over TCP and a Unix socket, through gateway.fetch and through the runtime's real HTTP server.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RecordType } from "../../src/protocol/index.ts";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { tapConnector, type Tap } from "../helpers/connector-tap.ts";
import { freePort } from "../helpers/daemon.ts";
import { serveGateway, testGateway, waitFor, type TestGateway } from "../helpers/harness.ts";
import { logsOf, randomBytes, readTimed, requestIdFor, sha1Hex, streamOf } from "../helpers/integration-util.ts";
import { FPM_STATUS_PATH, phpFpmMissing, startPhpFpm, type PhpFpm } from "../helpers/php-fpm.ts";

interface EnvDump {
  server: Record<string, string | number | undefined>;
  get: Record<string, string>;
  post: Record<string, string>;
  sapi: string;
}

interface UploadDump {
  sha1: string;
  length: number;
  contentLength: string | null;
  contentType: string | null;
  method: string;
}

interface FpmStatus {
  processes: Array<{ state: string; "request uri": string }>;
}

const MiB = 1024 * 1024;
const decoder = new TextDecoder();

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, 200, `status ${res.status}: ${text.slice(0, 500)}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 500)}`);
  }
}

describeWithBackend("PHP-FPM (real php-fpm8.2)", phpFpmMissing(), () => {
  let fpm: PhpFpm;
  let tap: Tap;
  let gw: TestGateway;

  before(async () => {
    fpm = await startPhpFpm();
    const closed = await freePort();
    tap = tapConnector();
    gw = testGateway([
      // httpd-tests case 6: `ProxyPass /php-fpm-pp/ fcgi://localhost:9001/<docroot>/`. One connection per
      // request here (as Apache's default), so each request's records and sockets can be told apart;
      // test/pool/ covers reuse against php-fpm.
      `/php-fpm-pp/ fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/ disablereuse=on`,
      `/slow/ fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/ timeout=1`,
      `/down/ fcgi://127.0.0.1:${closed}${fpm.docroot}/`,
      `/sock/ unix:${fpm.socketPath}|fcgi://localhost${fpm.docroot}/`,
      `${FPM_STATUS_PATH} fcgi://127.0.0.1:${fpm.port}${FPM_STATUS_PATH}`,
    ], { documentRoot: fpm.docroot, options: { connector: tap.connector } });
  });

  after(async () => {
    await gw?.close();
    await fpm?.close();
  });

  /** Backend connections carrying a request (idle pooled ones, e.g. of the /sock/ route, do not count).
   *  Routes to one address share a pool, so count each pool once. */
  const openConnections = () => {
    const seen = new Set<string>();
    let open = 0;
    for (const r of gw.gateway.stats().routes) {
      const address = r.target.replace(/^(fcgi:\/\/[^/]*|unix:[^|]*).*$/, "$1");
      if (seen.has(address)) continue;
      seen.add(address);
      open += r.pool.busy;
    }
    return open;
  };

  /** Workers of the TCP pool still running a request whose URI contains `tag`. */
  async function runningWith(tag: string): Promise<number> {
    const status = await json<FpmStatus>(await gw.request(`${FPM_STATUS_PATH}?json&full`));
    return status.processes.filter((p) => p.state === "Running" && p["request uri"].includes(tag)).length;
  }

  async function waitUntilIdle(tag: string, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while ((await runningWith(tag)) > 0) {
      if (Date.now() > end) assert.fail(`php-fpm still runs the aborted request ${tag} after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  describe("CGI environment", () => {
    it("sends SCRIPT_FILENAME with the proxy:fcgi:// prefix and no PATH_INFO (FPM backend type)", async () => {
      const res = await gw.request("/php-fpm-pp/env.php/foo/bar?query");
      await res.arrayBuffer();
      const sent = tap.last().params();
      assert.equal(sent.get("SCRIPT_FILENAME"), `proxy:fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/env.php/foo/bar`);
      assert.equal(sent.get("SCRIPT_NAME"), "/php-fpm-pp/env.php/foo/bar");
      assert.equal(sent.get("REQUEST_URI"), "/php-fpm-pp/env.php/foo/bar?query");
      assert.equal(sent.has("PATH_INFO"), false, "ProxyPass sends no PATH_INFO (mod_proxy_fcgi docs)");
      assert.equal(sent.has("PATH_TRANSLATED"), false);
    });

    it("PHP derives SCRIPT_NAME / PATH_INFO / PATH_TRANSLATED itself (httpd-tests case 6b)", async () => {
      const { server, get, sapi } = await json<EnvDump>(await gw.request("/php-fpm-pp/env.php/foo/bar?query", {
        headers: { "X-Custom-Header": "hello", "Proxy": "http://evil.test:3128" },
      }));
      assert.equal(sapi, "fpm-fcgi");
      assert.equal(server.SCRIPT_NAME, "/php-fpm-pp/env.php");
      assert.equal(server.PATH_INFO, "/foo/bar");
      assert.equal(server.PATH_TRANSLATED, `${fpm.docroot}/foo/bar`);
      assert.equal(server.PHP_SELF, "/php-fpm-pp/env.php/foo/bar");
      assert.equal(server.SCRIPT_FILENAME, `${fpm.docroot}/env.php`, "PHP-FPM stripped proxy:fcgi://host:port");
      assert.equal(server.QUERY_STRING, "query");
      assert.deepEqual(get, { query: "" });
      assert.equal(server.REQUEST_METHOD, "GET");
      assert.equal(server.REQUEST_URI, "/php-fpm-pp/env.php/foo/bar?query");
      assert.equal(server.FCGI_ROLE, "RESPONDER");
      assert.equal(server.GATEWAY_INTERFACE, "CGI/1.1");
      assert.equal(server.SERVER_PROTOCOL, "HTTP/1.1");
      assert.equal(server.DOCUMENT_ROOT, fpm.docroot);
      // From the harness's ConnectionInfo (TEST_INFO).
      assert.equal(server.REMOTE_ADDR, "127.0.0.2");
      assert.equal(server.REMOTE_PORT, "40000");
      assert.equal(server.SERVER_PORT, "8080");
      // A bare `new Request(url)` has no Host header: SERVER_NAME comes from the URL.
      assert.equal(server.SERVER_NAME, "gateway.test");
      assert.equal(server.HTTP_X_CUSTOM_HEADER, "hello");
      assert.equal(server.HTTP_PROXY, undefined, "httpoxy: the Proxy header must not become HTTP_PROXY");
      assert.equal(server.CONTENT_LENGTH ?? "", "", "a GET without a body has no CONTENT_LENGTH");
    });

    it("no PATH_INFO and no PATH_TRANSLATED without path info (httpd-tests case 6c)", async () => {
      const { server } = await json<EnvDump>(await gw.request("/php-fpm-pp/env.php"));
      assert.equal(server.SCRIPT_NAME, "/php-fpm-pp/env.php");
      assert.equal(server.PATH_INFO, undefined);
      assert.equal(server.PATH_TRANSLATED, undefined);
      assert.equal(server.QUERY_STRING, "");
    });

    it("an encoded path: SCRIPT_FILENAME is sent decoded, so PHP's PATH_INFO is decoded (RFC 3875 §4.1.5)", async () => {
      const { server } = await json<EnvDump>(await gw.request("/php-fpm-pp/env.php/a%20b/%C3%A9?q=%20"));
      assert.equal(tap.last().params().get("SCRIPT_FILENAME"), `proxy:fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/env.php/a b/é`);
      assert.equal(server.PATH_INFO, "/a b/é");
      assert.equal(server.SCRIPT_NAME, "/php-fpm-pp/env.php");
      assert.equal(server.REQUEST_URI, "/php-fpm-pp/env.php/a%20b/%C3%A9?q=%20");
      assert.equal(server.QUERY_STRING, "q=%20");
    });

    it("a form POST reaches $_POST", async () => {
      const { server, post } = await json<EnvDump>(await gw.request("/php-fpm-pp/env.php", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "a=1&b=two+words&c=%26",
      }));
      assert.equal(server.REQUEST_METHOD, "POST");
      assert.equal(server.CONTENT_TYPE, "application/x-www-form-urlencoded");
      assert.equal(server.CONTENT_LENGTH, "21");
      assert.deepEqual(post, { a: "1", b: "two words", c: "&" });
    });
  });

  describe("request bodies", () => {
    it("a 10 MiB POST with Content-Length arrives intact", async () => {
      const body = randomBytes(10 * MiB);
      const got = await json<UploadDump>(await gw.request("/php-fpm-pp/upload.php", {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
        body,
      }));
      assert.equal(got.length, body.length);
      assert.equal(got.sha1, sha1Hex(body));
      assert.equal(got.contentLength, String(body.length));
      assert.equal(got.contentType, "application/octet-stream");
    });

    it("a chunked upload (no Content-Length) is spooled and sent with CONTENT_LENGTH", async () => {
      // Over SPOOL_MEMORY (1 MiB), so it goes through a temp file.
      const body = randomBytes(3 * MiB + 12345);
      const got = await json<UploadDump>(await gw.request("/php-fpm-pp/upload.php", {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: streamOf(body, 50_000),
      }));
      assert.equal(got.method, "PUT");
      assert.equal(got.contentLength, String(body.length), "PHP-FPM ignores a body without CONTENT_LENGTH");
      assert.equal(got.length, body.length);
      assert.equal(got.sha1, sha1Hex(body));
    });

    it("an empty chunked upload arrives as CONTENT_LENGTH 0; an empty body with neither header as none", async () => {
      // As a server hands it over: Transfer-Encoding: chunked with no data (Apache sends CONTENT_LENGTH 0 too).
      const got = await json<UploadDump>(await gw.request("/php-fpm-pp/upload.php", {
        method: "POST",
        headers: { "transfer-encoding": "chunked" },
        body: streamOf(new Uint8Array(0)),
      }));
      assert.equal(got.length, 0);
      assert.equal(got.contentLength, "0");
      // Neither Content-Length nor Transfer-Encoding: the message has no body (RFC 9112 §6.3).
      const none = await json<UploadDump>(await gw.request("/php-fpm-pp/upload.php", { method: "POST", body: streamOf(new Uint8Array(0)) }));
      assert.equal(none.length, 0);
      assert.equal(none.contentLength, null);
    });
  });

  describe("responses", () => {
    it("streams flushed output: the first chunk arrives before PHP writes the last", async () => {
      const res = await gw.request("/php-fpm-pp/stream.php?n=5&ms=100");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-buffering"), "0 0", "output_buffering must be off in this php-fpm");
      const { text, arrivals } = await readTimed(res.body!);
      const chunks = text.trim().split("\n").map((l) => JSON.parse(l) as { i: number; t: number });
      assert.deepEqual(chunks.map((c) => c.i), [0, 1, 2, 3, 4]);
      assert.ok(arrivals.length >= 2, `all output arrived in ${arrivals.length} piece(s)`);
      const lastWritten = chunks[4]!.t;
      assert.ok(arrivals[0]! < lastWritten, `first piece received at ${arrivals[0]}, PHP wrote the last at ${lastWritten}`);
    });

    it("Status, Location and two Set-Cookie headers", async () => {
      const res = await gw.request("/php-fpm-pp/status.php?case=created");
      assert.equal(res.status, 201);
      assert.equal(res.headers.get("location"), "/items/42");
      assert.deepEqual(res.headers.getSetCookie(), ["first=1; Path=/", "second=2; HttpOnly"]);
      assert.equal(await res.text(), "created\n");
    });

    it("a Location without Status is a 302 (PHP adds the Status line)", async () => {
      const res = await gw.request("/php-fpm-pp/status.php?case=redirect");
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), "https://example.test/elsewhere?x=1");
      await res.arrayBuffer();
    });

    it("a custom reason phrase and http_response_code()", async () => {
      const custom = await gw.request("/php-fpm-pp/status.php?case=reason");
      assert.equal(custom.status, 299);
      assert.equal(custom.statusText, "Fine By Me");
      assert.equal(await custom.text(), "custom reason\n");
      const missing = await gw.request("/php-fpm-pp/status.php?case=notfound");
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), "nothing here\n");
    });

    it("more concurrent requests than workers: php-fpm queues them and every one succeeds", async () => {
      const results = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
        const res = await gw.request(`/php-fpm-pp/slow.php?s=0.1&i=${i}`);
        return { status: res.status, text: await res.text() };
      }));
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.equal(r.text, "slept 0.1s\n");
      }
      await waitFor(() => openConnections() === 0, 2000, "every connection to close");
    });

    it("204 and 304 have no body; HEAD gets the headers only", async () => {
      const empty = await gw.request("/php-fpm-pp/status.php?case=nocontent");
      assert.equal(empty.status, 204);
      assert.equal(empty.body, null);
      const notModified = await gw.request("/php-fpm-pp/status.php?case=notmodified");
      assert.equal(notModified.status, 304);
      assert.equal(notModified.headers.get("etag"), '"v1"');
      assert.equal(notModified.body, null);
      const head = await gw.request("/php-fpm-pp/big.php?bytes=200000", { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("x-length"), "200000");
      assert.equal(head.body, null);
      await waitFor(() => openConnections() === 0 && gw.gateway.stats().inFlight === 0, 2000, "the exchanges to end");
    });

    it("a 5 MiB response over many STDOUT records arrives intact, also when the client reads slowly", async () => {
      const size = 5 * MiB + 3;
      const res = await gw.request(`/php-fpm-pp/big.php?bytes=${size}`);
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let n = 0; ; n++) {
        // A slow start: the gateway has to pause the backend socket rather than buffer without bound.
        if (n < 3) await new Promise((r) => setTimeout(r, 100));
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        total += value.length;
      }
      const body = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        body.set(p, at);
        at += p.length;
      }
      assert.equal(total, size);
      assert.equal(res.headers.get("x-length"), String(size));
      assert.equal(sha1Hex(body), res.headers.get("x-sha1"));
    });

    it("PHP-FPM's own answers: missing script 404, non-.php 403, fatal error 500 with its message logged", async () => {
      const missing = await gw.request("/php-fpm-pp/no-such-script.php");
      assert.equal(missing.status, 404);
      assert.match(await missing.text(), /File not found/);
      const denied = await gw.request("/php-fpm-pp/not-php.txt");
      assert.equal(denied.status, 403, "security.limit_extensions refuses what is not .php");
      assert.doesNotMatch(await denied.text(), /must never run/);
      const fatal = await gw.request("/php-fpm-pp/fatal.php");
      assert.equal(fatal.status, 500);
      await fatal.arrayBuffer();
      await waitFor(() => requestIdFor(gw, "/php-fpm-pp/fatal.php") !== undefined, 2000, "the request's log line");
      const lines = logsOf(gw, requestIdFor(gw, "/php-fpm-pp/fatal.php")!);
      assert.ok(lines.some((l) => / stderr: .*Uncaught Error: Call to undefined function echo_undefined_function_for_the_test/.test(l)), lines.join("\n"));
    });

    it("a %3F in the path never reaches PHP-FPM, which would cut SCRIPT_FILENAME there", async () => {
      const before = tap.connections.length;
      const res = await gw.request("/php-fpm-pp/env.php%3F.php");
      assert.equal(res.status, 403);
      await res.arrayBuffer();
      assert.equal(tap.connections.length, before, "no backend connection for a refused request");
    });

    it("large request headers reach PHP (an 8 KiB cookie)", async () => {
      const cookie = `big=${"c".repeat(8 * 1024)}`;
      const { server } = await json<EnvDump>(await gw.request("/php-fpm-pp/env.php", { headers: { cookie } }));
      assert.equal(server.HTTP_COOKIE, cookie);
    });

    it("error_log() arrives as FCGI_STDERR and is logged with the request id, not sent to the client", async () => {
      const res = await gw.request("/php-fpm-pp/stderr.php");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "body only\n");
      const conn = tap.last();
      const stderr = decoder.decode(conn.receivedStream(RecordType.STDERR));
      assert.match(stderr, /first line from stderr\.php/);
      assert.match(stderr, /second line from stderr\.php/);
      assert.doesNotMatch(decoder.decode(conn.receivedStream(RecordType.STDOUT)), /from stderr\.php/);

      await waitFor(() => requestIdFor(gw, "/php-fpm-pp/stderr.php") !== undefined, 2000, "the request's log line");
      const id = requestIdFor(gw, "/php-fpm-pp/stderr.php")!;
      const lines = logsOf(gw, id);
      // PHP-FPM 8.2 joins the messages of one request with "; " into a single line.
      const logged = lines.filter((l) => / stderr: /.test(l)).join("\n");
      assert.match(logged, /stderr: PHP message: first line from stderr\.php/, lines.join("\n"));
      assert.match(logged, /second line from stderr\.php$/, lines.join("\n"));
    });
  });

  describe("failures", () => {
    it("backend down (closed port): 503", async () => {
      const res = await gw.request("/down/env.php");
      assert.equal(res.status, 503);
      await res.arrayBuffer();
      assert.ok(gw.logs.some((l) => l.level === "error" && l.line.includes("uri=/down/env.php") && /ECONNREFUSED/.test(l.line)),
        gw.logs.map((l) => l.line).join("\n"));
    });

    it("a script slower than timeout=1: 504 after about a second", async () => {
      const started = Date.now();
      const res = await gw.request("/slow/slow.php?s=3");
      const ms = Date.now() - started;
      assert.equal(res.status, 504);
      await res.arrayBuffer();
      assert.ok(ms >= 900 && ms < 2500, `answered after ${ms} ms`);
      await waitFor(() => openConnections() === 0, 2000, "the timed-out connection to close");
    });

    it("client abort mid-stream (request signal): connection closed, php-fpm stops the script", async () => {
      const tag = `abort-signal-${Date.now()}`;
      const controller = new AbortController();
      const res = await gw.request(`/php-fpm-pp/stream.php?n=50&ms=100&tag=${tag}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      try {
        const first = await reader.read();
        assert.equal(first.done, false);
        assert.equal(openConnections(), 1);
        assert.equal(await runningWith(tag), 1, "the status page shows the streaming request");
        controller.abort();
        await waitFor(() => openConnections() === 0 && gw.gateway.stats().inFlight === 0, 2000, "the backend connection to close");
        // The script would run 5 s; PHP stops at its next flush() once the connection is gone.
        await waitUntilIdle(tag, 3000);
      } finally {
        controller.abort();
        await reader.cancel().catch(() => {});
      }
    });

    // Gateway bug (reported, not fixed here): after request.signal aborts, Exchange#clientGone closes the
    // backend but leaves the Response body stream open, so a reader waits for ever. fetch() errors the body
    // with the abort reason; a consumer that does not watch the signal itself (a tee, a logging middleware)
    // would otherwise hang.
    it("client abort (request signal): the response body errors instead of staying open", async () => {
      const controller = new AbortController();
      const res = await gw.request(`/php-fpm-pp/stream.php?n=50&ms=100&tag=abort-body-${Date.now()}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      try {
        await reader.read();
        controller.abort();
        await waitFor(() => openConnections() === 0, 2000, "the backend connection to close");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const outcome = await Promise.race([
          (async () => {
            for (;;) {
              const r = await reader.read(); // drain what was queued before the abort
              if (r.done) return "closed";
            }
          })().catch(() => "errored"),
          new Promise<string>((r) => (timer = setTimeout(r, 500, "still open after 500 ms"))),
        ]);
        clearTimeout(timer);
        assert.equal(outcome, "errored");
      } finally {
        await reader.cancel().catch(() => {});
      }
    });

    it("client abort mid-stream (body cancelled): connection closed, php-fpm stops the script", async () => {
      const tag = `abort-cancel-${Date.now()}`;
      const res = await gw.request(`/php-fpm-pp/stream.php?n=50&ms=100&tag=${tag}`);
      const reader = res.body!.getReader();
      await reader.read();
      assert.equal(await runningWith(tag), 1, "the status page shows the streaming request");
      await reader.cancel();
      await waitFor(() => openConnections() === 0 && gw.gateway.stats().inFlight === 0, 2000, "the backend connection to close");
      await waitUntilIdle(tag, 3000);
    });
  });

  describe("Unix socket route", () => {
    it("sends the unix target's SCRIPT_FILENAME and PHP derives PATH_INFO", async () => {
      const { server } = await json<EnvDump>(await gw.request("/sock/env.php/foo/bar?query"));
      const conn = tap.last();
      assert.deepEqual(conn.endpoint, { kind: "unix", path: fpm.socketPath });
      assert.equal(conn.params().get("SCRIPT_FILENAME"), `proxy:fcgi://localhost${fpm.docroot}/env.php/foo/bar`);
      assert.equal(server.SCRIPT_FILENAME, `${fpm.docroot}/env.php`);
      assert.equal(server.SCRIPT_NAME, "/sock/env.php");
      assert.equal(server.PATH_INFO, "/foo/bar");
      assert.equal(server.PATH_TRANSLATED, `${fpm.docroot}/foo/bar`);
      assert.equal(server.QUERY_STRING, "query");
      assert.equal(server.REMOTE_ADDR, "127.0.0.2");
    });

    it("a 10 MiB POST and a chunked upload arrive intact", async () => {
      const body = randomBytes(10 * MiB);
      const sized = await json<UploadDump>(await gw.request("/sock/upload.php", {
        method: "POST",
        headers: { "content-length": String(body.length) },
        body,
      }));
      assert.equal(sized.length, body.length);
      assert.equal(sized.sha1, sha1Hex(body));
      assert.equal(sized.contentLength, String(body.length));
      const chunked = await json<UploadDump>(await gw.request("/sock/upload.php", { method: "POST", body: streamOf(body.subarray(0, 2 * MiB)) }));
      assert.equal(chunked.contentLength, String(2 * MiB));
      assert.equal(chunked.sha1, sha1Hex(body.subarray(0, 2 * MiB)));
    });
  });

  describe("through the runtime's HTTP server", () => {
    it("env, chunked upload, streaming and client abort over real HTTP", async () => {
      const server = await serveGateway(gw.gateway);
      try {
        // Env: the adapter supplies the client and server addresses and the raw request target.
        const env = await json<EnvDump>(await fetch(`${server.url}/php-fpm-pp/env.php/foo/bar?x=%2F&y=1`, {
          headers: { "X-Custom-Header": "over http" },
        }));
        assert.equal(env.server.REMOTE_ADDR, "127.0.0.1");
        assert.equal(env.server.SERVER_PORT, String(server.port));
        assert.equal(env.server.HTTP_HOST, `127.0.0.1:${server.port}`);
        assert.equal(env.server.HTTP_X_CUSTOM_HEADER, "over http");
        assert.equal(env.server.QUERY_STRING, "x=%2F&y=1");
        assert.equal(env.server.REQUEST_URI, "/php-fpm-pp/env.php/foo/bar?x=%2F&y=1");
        assert.equal(env.server.SCRIPT_NAME, "/php-fpm-pp/env.php");
        assert.equal(env.server.PATH_INFO, "/foo/bar");
        assert.deepEqual(env.get, { x: "/", y: "1" });

        // Chunked upload from a real client.
        const body = randomBytes(2 * MiB + 7);
        const up = await json<UploadDump>(await fetch(`${server.url}/php-fpm-pp/upload.php`, {
          method: "POST",
          body: streamOf(body),
          duplex: "half",
        } as RequestInit));
        assert.equal(up.length, body.length);
        assert.equal(up.contentLength, String(body.length));
        assert.equal(up.sha1, sha1Hex(body));

        // Response heads and a large body survive the server adapter.
        const created = await fetch(`${server.url}/php-fpm-pp/status.php?case=created`, { redirect: "manual" });
        assert.equal(created.status, 201);
        assert.equal(created.headers.get("location"), "/items/42");
        assert.deepEqual(created.headers.getSetCookie(), ["first=1; Path=/", "second=2; HttpOnly"]);
        assert.equal(await created.text(), "created\n");
        const big = await fetch(`${server.url}/php-fpm-pp/big.php?bytes=${3 * MiB + 1}`);
        const bigBody = new Uint8Array(await big.arrayBuffer());
        assert.equal(bigBody.length, 3 * MiB + 1);
        assert.equal(sha1Hex(bigBody), big.headers.get("x-sha1"));
        const head = await fetch(`${server.url}/php-fpm-pp/big.php?bytes=1000`, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("x-length"), "1000");
        assert.equal((await head.arrayBuffer()).byteLength, 0);

        // Streaming survives the server adapter.
        const streamed = await fetch(`${server.url}/php-fpm-pp/stream.php?n=5&ms=100`);
        const { text, arrivals } = await readTimed(streamed.body!);
        const chunks = text.trim().split("\n").map((l) => JSON.parse(l) as { i: number; t: number });
        assert.equal(chunks.length, 5);
        assert.ok(arrivals[0]! < chunks[4]!.t, `first piece received at ${arrivals[0]}, PHP wrote the last at ${chunks[4]!.t}`);

        // The client goes away mid-stream: the adapter must tell the gateway.
        const tag = `abort-http-${Date.now()}`;
        const controller = new AbortController();
        const res = await fetch(`${server.url}/php-fpm-pp/stream.php?n=50&ms=100&tag=${tag}`, { signal: controller.signal });
        const reader = res.body!.getReader();
        await reader.read();
        assert.equal(await runningWith(tag), 1, "the status page shows the streaming request");
        controller.abort();
        await reader.closed.catch(() => {});
        await waitFor(() => openConnections() === 0 && gw.gateway.stats().inFlight === 0, 3000, "the backend connection to close after the client left");
        await waitUntilIdle(tag, 3000);
      } finally {
        await server.close(0);
      }
    });
  });
});

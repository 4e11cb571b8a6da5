// The gateway against fcgiwrap running shell CGI scripts. fcgiwrap execs SCRIPT_FILENAME as a plain path, so
// the routes use backend-type=GENERIC (Apache's ProxyFCGIBackendType GENERIC, no proxy:fcgi:// prefix).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RecordType } from "../../src/protocol/index.ts";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { tapConnector, type Tap } from "../helpers/connector-tap.ts";
import { fcgiwrapMissing, startFcgiwrap, type Fcgiwrap } from "../helpers/fcgiwrap.ts";
import { serveGateway, testGateway, waitFor, type TestGateway } from "../helpers/harness.ts";
import { logsOf, parseEnvLines, randomBytes, requestIdFor, sha1Hex, streamOf } from "../helpers/integration-util.ts";

async function envOf(res: Response): Promise<Map<string, string>> {
  const text = await res.text();
  assert.equal(res.status, 200, `status ${res.status}: ${text.slice(0, 500)}`);
  assert.equal(res.headers.get("x-cgi"), "env.sh");
  return parseEnvLines(text);
}

describeWithBackend("fcgiwrap (real CGI scripts)", fcgiwrapMissing(), () => {
  let cgi: Fcgiwrap;
  let tap: Tap;
  let gw: TestGateway;

  before(async () => {
    cgi = await startFcgiwrap();
    tap = tapConnector();
    // fcgiwrap is one process that serves one connection at a time: a kept-alive connection would pin it, so
    // it runs without reuse (the README recommends disablereuse=on for it).
    gw = testGateway([
      `/cgi-bin/ fcgi://127.0.0.1:${cgi.port}${cgi.docroot}/ backend-type=GENERIC disablereuse=on`,
      `/cgi-pi/ fcgi://127.0.0.1:${cgi.port}${cgi.docroot}/ backend-type=GENERIC path-info=last-dot`,
      `/cgi-sock/ unix:${cgi.socketPath}|fcgi://localhost${cgi.docroot}/ backend-type=GENERIC disablereuse=on`,
    ], { documentRoot: cgi.docroot, options: { connector: tap.connector } });
  });

  after(async () => {
    await gw?.close();
    await cgi?.close();
  });

  it("a GET: the script sees the CGI variables and a plain SCRIPT_FILENAME", async () => {
    const env = await envOf(await gw.request("/cgi-bin/env.sh?a=1&b=%20x", { headers: { "X-Custom-Header": "from test" } }));
    assert.equal(tap.last().params().get("SCRIPT_FILENAME"), `${cgi.docroot}/env.sh`, "GENERIC: no proxy:fcgi:// prefix");
    assert.equal(env.get("SCRIPT_FILENAME"), `${cgi.docroot}/env.sh`);
    assert.equal(env.get("SCRIPT_NAME"), "/cgi-bin/env.sh");
    assert.equal(env.has("PATH_INFO"), false);
    assert.equal(env.get("QUERY_STRING"), "a=1&b=%20x");
    assert.equal(env.get("REQUEST_URI"), "/cgi-bin/env.sh?a=1&b=%20x");
    assert.equal(env.get("REQUEST_METHOD"), "GET");
    assert.equal(env.get("GATEWAY_INTERFACE"), "CGI/1.1");
    assert.equal(env.get("SERVER_PROTOCOL"), "HTTP/1.1");
    assert.equal(env.get("REMOTE_ADDR"), "127.0.0.2");
    assert.equal(env.get("DOCUMENT_ROOT"), cgi.docroot);
    assert.equal(env.get("HTTP_X_CUSTOM_HEADER"), "from test");
    assert.equal(env.has("CONTENT_LENGTH"), false, "no body, no CONTENT_LENGTH");
    // Only what the gateway sent, plus fcgiwrap's own PATH: nothing of the test process's environment.
    assert.equal(env.get("PATH"), "/usr/bin:/bin");
    assert.equal(env.has("HOME"), false);
    assert.equal(env.get("STDIN_LENGTH"), "0");
  });

  it("a POST body reaches the script's stdin intact, with CONTENT_LENGTH and CONTENT_TYPE", async () => {
    const body = randomBytes(200 * 1024 + 3);
    const env = await envOf(await gw.request("/cgi-bin/env.sh", {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
      body,
    }));
    assert.equal(env.get("REQUEST_METHOD"), "POST");
    assert.equal(env.get("CONTENT_LENGTH"), String(body.length));
    assert.equal(env.get("CONTENT_TYPE"), "application/octet-stream");
    assert.equal(env.get("STDIN_LENGTH"), String(body.length));
    assert.equal(env.get("STDIN_SHA1"), sha1Hex(body));
  });

  it("a small form POST (sent inline with the head) and a chunked POST", async () => {
    const form = await envOf(await gw.request("/cgi-bin/env.sh", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "x=1&y=2",
    }));
    assert.equal(form.get("CONTENT_LENGTH"), "7");
    assert.equal(form.get("STDIN_SHA1"), sha1Hex(new TextEncoder().encode("x=1&y=2")));

    const body = randomBytes(300_000);
    const chunked = await envOf(await gw.request("/cgi-bin/env.sh", { method: "POST", body: streamOf(body, 10_000) }));
    assert.equal(chunked.get("CONTENT_LENGTH"), String(body.length));
    assert.equal(chunked.get("STDIN_LENGTH"), String(body.length));
    assert.equal(chunked.get("STDIN_SHA1"), sha1Hex(body));
  });

  it("path-info=last-dot: the script gets SCRIPT_NAME / PATH_INFO / PATH_TRANSLATED from the gateway", async () => {
    const env = await envOf(await gw.request("/cgi-pi/env.sh/extra/path?q"));
    assert.equal(env.get("SCRIPT_FILENAME"), `${cgi.docroot}/env.sh`);
    assert.equal(env.get("SCRIPT_NAME"), "/cgi-pi/env.sh");
    assert.equal(env.get("PATH_INFO"), "/extra/path");
    assert.equal(env.get("PATH_TRANSLATED"), `${cgi.docroot}/extra/path`);
    assert.equal(env.get("QUERY_STRING"), "q");
  });

  it("Status with a reason phrase and repeated Set-Cookie from a CGI script", async () => {
    const res = await gw.request("/cgi-bin/status.sh");
    assert.equal(res.status, 418);
    assert.equal(res.statusText, "Short And Stout");
    assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.equal(await res.text(), "teapot\n");
  });

  it("the script's stderr lines arrive as FCGI_STDERR and are logged one by one with the request id", async () => {
    const res = await gw.request("/cgi-bin/env.sh?stderr");
    const text = await res.text();
    assert.doesNotMatch(text, /env\.sh stderr/);
    const stderr = new TextDecoder().decode(tap.last().receivedStream(RecordType.STDERR));
    assert.equal(stderr, "env.sh stderr one (GET)\nenv.sh stderr two\n");
    await waitFor(() => requestIdFor(gw, "/cgi-bin/env.sh?stderr") !== undefined, 2000, "the request's log line");
    const lines = logsOf(gw, requestIdFor(gw, "/cgi-bin/env.sh?stderr")!);
    const logged = lines.filter((l) => / stderr: /.test(l)).map((l) => l.slice(l.indexOf(" stderr: ") + 9));
    assert.deepEqual(logged, ["env.sh stderr one (GET)", "env.sh stderr two"]);
  });

  it("over the Unix socket: env and a POST body", async () => {
    const body = randomBytes(50_000);
    const env = await envOf(await gw.request("/cgi-sock/env.sh?sock", { method: "POST", body, headers: { "content-length": String(body.length) } }));
    assert.deepEqual(tap.last().endpoint, { kind: "unix", path: cgi.socketPath });
    assert.equal(env.get("SCRIPT_FILENAME"), `${cgi.docroot}/env.sh`);
    assert.equal(env.get("SCRIPT_NAME"), "/cgi-sock/env.sh");
    assert.equal(env.get("QUERY_STRING"), "sock");
    assert.equal(env.get("STDIN_SHA1"), sha1Hex(body));
  });

  describe("through the runtime's HTTP server", () => {
    it("env and a POST body over real HTTP", async () => {
      const server = await serveGateway(gw.gateway);
      try {
        const body = randomBytes(100_000);
        const env = await envOf(await fetch(`${server.url}/cgi-bin/env.sh?via=http`, { method: "PUT", body }));
        assert.equal(env.get("REQUEST_METHOD"), "PUT");
        assert.equal(env.get("REMOTE_ADDR"), "127.0.0.1");
        assert.equal(env.get("SERVER_PORT"), String(server.port));
        assert.equal(env.get("HTTP_HOST"), `127.0.0.1:${server.port}`);
        assert.equal(env.get("CONTENT_LENGTH"), String(body.length));
        assert.equal(env.get("STDIN_SHA1"), sha1Hex(body));
      } finally {
        await server.close(0);
      }
    });
  });
});

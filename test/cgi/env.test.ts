// CGI/1.1 environment rules (RFC 3875 §4.1, Apache's util_script.c), as table tests.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildEnv, type EnvInput } from "../../src/cgi/env.ts";
import { applyEnvRules } from "../../src/cgi/apply-env-rules.ts";
import { headerVarName } from "../../src/cgi/header-vars.ts";
import { decodeRequestPath } from "../../src/cgi/url-path.ts";
import { fromByteString } from "../../src/cgi/byte-string.ts";
import { compileSetEnvIf } from "../../src/config/set-env-if.ts";
import { BadRequest, NotFound } from "../../src/errors.ts";

function input(over: Partial<EnvInput> = {}): EnvInput {
  return {
    method: "GET",
    requestUri: "/app/x.php?q=1",
    query: "q=1",
    headers: new Headers({ host: "example.test:8443", "user-agent": "ua" }),
    conn: { remoteAddress: "10.1.2.3", remotePort: 5555, localAddress: "127.0.0.1", localPort: 8080, tls: false, httpVersion: "1.0" },
    script: { scriptFilename: "proxy:fcgi://127.0.0.1:9000/srv/x.php", scriptName: "/app/x.php" },
    documentRoot: "/srv",
    serverSoftware: "proxy-fcgi/test",
    contentLength: undefined,
    passAuthorization: true,
    urlHost: "example.test:8443",
    ...over,
  };
}

describe("standard variables", () => {
  it("has every variable Apache sends for a ProxyPass request", () => {
    const env = buildEnv(input());
    const expect: Record<string, string> = {
      GATEWAY_INTERFACE: "CGI/1.1",
      SERVER_SOFTWARE: "proxy-fcgi/test",
      SERVER_PROTOCOL: "HTTP/1.0",
      SERVER_NAME: "example.test",
      SERVER_PORT: "8443",
      SERVER_ADDR: "127.0.0.1",
      REMOTE_ADDR: "10.1.2.3",
      REMOTE_PORT: "5555",
      REQUEST_METHOD: "GET",
      REQUEST_SCHEME: "http",
      QUERY_STRING: "q=1",
      REQUEST_URI: "/app/x.php?q=1",
      SCRIPT_NAME: "/app/x.php",
      SCRIPT_FILENAME: "proxy:fcgi://127.0.0.1:9000/srv/x.php",
      DOCUMENT_ROOT: "/srv",
      CONTEXT_DOCUMENT_ROOT: "/srv",
      CONTEXT_PREFIX: "",
      HTTP_HOST: "example.test:8443",
      HTTP_USER_AGENT: "ua",
    };
    for (const [k, v] of Object.entries(expect)) assert.equal(env.get(k), v, k);
    for (const k of ["PATH_INFO", "PATH_TRANSLATED", "CONTENT_LENGTH", "CONTENT_TYPE", "HTTPS"]) assert.equal(env.has(k), false, k);
  });

  it("QUERY_STRING is always present, empty without a query", () => {
    assert.equal(buildEnv(input({ query: "", requestUri: "/a" })).get("QUERY_STRING"), "");
  });

  it("SERVER_PORT falls back to the listener when Host has no port; SERVER_NAME to the local address without Host", () => {
    const a = buildEnv(input({ headers: new Headers({ host: "Example.TEST" }) }));
    assert.equal(a.get("SERVER_NAME"), "example.test");
    assert.equal(a.get("SERVER_PORT"), "8080");
    const b = buildEnv(input({ headers: new Headers(), urlHost: "" }));
    assert.equal(b.get("SERVER_NAME"), "127.0.0.1");
    const c = buildEnv(input({ headers: new Headers({ host: "[::1]:81" }) }));
    assert.equal(c.get("SERVER_NAME"), "[::1]");
    assert.equal(c.get("SERVER_PORT"), "81");
  });

  it("TLS sets REQUEST_SCHEME=https and HTTPS=on", () => {
    const env = buildEnv(input({ conn: { remoteAddress: "a", localAddress: "b", localPort: 443, tls: true } }));
    assert.equal(env.get("REQUEST_SCHEME"), "https");
    assert.equal(env.get("HTTPS"), "on");
    assert.equal(env.get("REMOTE_PORT"), ""); // unknown port: empty, as on Workers
    assert.equal(env.get("SERVER_PROTOCOL"), "HTTP/1.1");
  });

  it("CONTENT_TYPE / CONTENT_LENGTH, never HTTP_CONTENT_*", () => {
    const env = buildEnv(input({ headers: new Headers({ "content-type": "text/plain", "content-length": "3" }), contentLength: 3 }));
    assert.equal(env.get("CONTENT_TYPE"), "text/plain");
    assert.equal(env.get("CONTENT_LENGTH"), "3");
    assert.equal(env.has("HTTP_CONTENT_TYPE"), false);
    assert.equal(env.has("HTTP_CONTENT_LENGTH"), false);
  });

  it("UTF-8 bytes in a header reach the backend once, not encoded twice", () => {
    const latin1 = String.fromCharCode(0xc3, 0xa9); // "é" as the client's bytes
    const env = buildEnv(input({ headers: new Headers({ "x-name": latin1 }) }));
    assert.equal(env.get("HTTP_X_NAME"), "é");
    assert.equal(fromByteString("plain"), "plain");
    assert.deepEqual(fromByteString(String.fromCharCode(0x63, 0xff)), Uint8Array.of(0x63, 0xff)); // not UTF-8: the bytes
  });
});

describe("header rules", () => {
  it("- becomes _, other punctuation drops the header (X_Foo cannot spoof X-Foo)", () => {
    const table: Array<[string, string | null]> = [
      ["x-foo", "HTTP_X_FOO"],
      ["x_foo", null],
      ["x.foo", null],
      ["accept-language", "HTTP_ACCEPT_LANGUAGE"],
      ["proxy", null], // httpoxy
      ["proxy-authorization", null],
      ["content-type", null],
      ["content-length", null],
      ["transfer-encoding", null],
      ["authorization", "HTTP_AUTHORIZATION"],
    ];
    for (const [name, want] of table) assert.equal(headerVarName(name), want, name);
  });

  it("Authorization is passed unless the route says pass-authorization=off", () => {
    const headers = new Headers({ authorization: "Basic eDp5", proxy: "http://evil", "x_foo": "spoof", "x-foo": "real" });
    const on = buildEnv(input({ headers }));
    assert.equal(on.get("HTTP_AUTHORIZATION"), "Basic eDp5");
    assert.equal(on.has("HTTP_PROXY"), false);
    assert.equal(on.get("HTTP_X_FOO"), "real");
    const off = buildEnv(input({ headers, passAuthorization: false }));
    assert.equal(off.has("HTTP_AUTHORIZATION"), false);
  });
});

describe("request path", () => {
  it("collapses slashes and decodes", () => {
    assert.equal(decodeRequestPath("//a///b.php"), "/a/b.php");
    assert.equal(decodeRequestPath("/a%20b/%C3%A9.php"), "/a b/é.php");
    assert.equal(decodeRequestPath("/plain"), "/plain");
  });
  it("%2F is 404, a malformed escape or invalid UTF-8 is 400", () => {
    assert.throws(() => decodeRequestPath("/a%2fb"), NotFound);
    assert.throws(() => decodeRequestPath("/a%2"), BadRequest);
    assert.throws(() => decodeRequestPath("/a%g0"), BadRequest);
    assert.throws(() => decodeRequestPath("/a%ff"), BadRequest);
  });
});

describe("env and set-env-if (ProxyFCGISetEnvIf's place)", () => {
  // httpd-tests t/modules/proxy_fcgi.t case 1, expressed in our JSON rules.
  it("reproduces the httpd-tests ProxyFCGISetEnvIf case", () => {
    const rules = compileSetEnvIf([
      { set: { QUERY_STRING: "test_value" } },
      { set: { TEST_EMPTY: "" } },
      { if: { var: "NOPE", matches: "^x$" }, set: { TEST_NOT_SET: "1" } },
      { set: { TEST_DOCROOT: "%{DOCUMENT_ROOT}" } },
      { if: { var: "GATEWAY_INTERFACE", matches: "CGI/(.\\..)" }, set: { TEST_CGI_VERSION: "v$1" } },
      { unset: ["REMOTE_ADDR"] },
    ], "rules");
    const env = buildEnv(input({ query: "query" }));
    applyEnvRules(env, [], rules, new Headers());
    assert.equal(env.get("QUERY_STRING"), "test_value");
    assert.equal(env.has("TEST_NOT_SET"), false);
    assert.equal(env.get("TEST_EMPTY"), "");
    assert.equal(env.get("TEST_DOCROOT"), "/srv");
    assert.equal(env.get("TEST_CGI_VERSION"), "v1.1");
    assert.equal(env.has("REMOTE_ADDR"), false);
  });

  it("a false condition neither sets nor unsets (PR 64365); header conditions; env overrides", () => {
    const rules = compileSetEnvIf([
      { if: { header: "X-Mode", matches: "^debug$" }, set: { DEBUG: "1" }, unset: ["HTTP_X_MODE"] },
      { if: { var: "APP_ENV", matches: "^(\\w+)$" }, set: { ENV_COPY: "$1-%{SERVER_NAME}" } },
    ], "rules");
    const env = buildEnv(input({ headers: new Headers({ "x-mode": "quiet", host: "h" }) }));
    applyEnvRules(env, [["APP_ENV", "prod"], ["SERVER_SOFTWARE", "custom"]], rules, new Headers({ "x-mode": "quiet" }));
    assert.equal(env.has("DEBUG"), false);
    assert.equal(env.get("HTTP_X_MODE"), "quiet");
    assert.equal(env.get("ENV_COPY"), "prod-h");
    assert.equal(env.get("SERVER_SOFTWARE"), "custom");
    const env2 = buildEnv(input());
    applyEnvRules(env2, [], rules, new Headers({ "x-mode": "debug" }));
    assert.equal(env2.get("DEBUG"), "1");
  });
});

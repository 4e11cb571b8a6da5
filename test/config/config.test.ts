import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseProxyPass } from "../../src/config/proxy-pass.ts";
import { parseJsonConfig } from "../../src/config/json.ts";
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { parseArgs } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/errors.ts";
import { parseTarget } from "../../src/config/target.ts";
import { warnMissingSockets } from "../../src/config/socket-check.ts";
import { createGateway } from "../../src/adapters/embedded.ts";
import { VERSION } from "../../src/version.ts";
import { readFileSync } from "node:fs";

describe("targets", () => {
  it("fcgi:// with and without port; port 8000 is left out of SCRIPT_FILENAME as in Apache", () => {
    const a = parseTarget("fcgi://127.0.0.1:9000/srv/app/");
    assert.deepEqual(a.endpoint, { kind: "tcp", host: "127.0.0.1", port: 9000 });
    assert.equal(a.filenamePrefix, "proxy:fcgi://127.0.0.1:9000");
    assert.equal(a.path, "/srv/app/");
    const b = parseTarget("FCGI://LocalHost/x");
    assert.deepEqual(b.endpoint, { kind: "tcp", host: "localhost", port: 8000 });
    assert.equal(b.filenamePrefix, "proxy:fcgi://localhost");
    const c = parseTarget("fcgi://[::1]:9001/");
    assert.deepEqual(c.endpoint, { kind: "tcp", host: "::1", port: 9001 });
    assert.equal(c.filenamePrefix, "proxy:fcgi://[::1]:9001");
  });

  it("unix sockets", () => {
    const t = parseTarget("unix:/run/php/fpm.sock|fcgi://localhost/srv/app/");
    assert.deepEqual(t.endpoint, { kind: "unix", path: "/run/php/fpm.sock" });
    assert.equal(t.filenamePrefix, "proxy:fcgi://localhost");
    assert.equal(t.path, "/srv/app/");
  });

  it("refuses malformed targets", () => {
    for (const bad of ["http://x/", "fcgi://", "fcgi://h:99999/", "unix:/s", "unix:rel|fcgi://localhost/", "fcgi://h/a|b", "fcgi://h/%zz"]) {
      assert.throws(() => parseTarget(bad), /./, bad);
    }
  });
});

describe("--proxy-pass", () => {
  it("parses keys with units", () => {
    const r = parseProxyPass("/php/ fcgi://127.0.0.1:9000/srv/ timeout=30 connectiontimeout=250ms backend-type=generic path-info=first-dot document-root=/srv pass-authorization=off request-buffering=stream max-body=10m");
    assert.equal(r.prefix, "/php/");
    assert.equal(r.ioTimeoutMs, 30_000);
    assert.equal(r.connectTimeoutMs, 250);
    assert.equal(r.backendType, "GENERIC");
    assert.equal(r.pathInfo, "first-dot");
    assert.equal(r.documentRoot, "/srv");
    assert.equal(r.passAuthorization, false);
    assert.equal(r.requestBuffering, "stream");
    assert.equal(r.maxBody, 10 * 1024 * 1024);
  });

  it("has Apache's defaults", () => {
    const r = parseProxyPass("/ fcgi://h/");
    assert.equal(r.ioTimeoutMs, 60_000);
    assert.equal(r.connectTimeoutMs, 5_000);
    assert.equal(r.backendType, "FPM");
    assert.equal(r.pathInfo, "none");
    assert.equal(r.passAuthorization, true);
    assert.equal(r.requestBuffering, "spool");
    assert.equal(r.maxBody, 1024 ** 3);
  });

  it("refuses unknown keys, bare flags and bad values, naming the flag, the key and the problem", () => {
    const cases: Array<[string, RegExp]> = [
      ["/ fcgi://h/ nocanon", /--proxy-pass.*"nocanon" is not a key=value pair/],
      ["/ fcgi://h/ bogus=1", /--proxy-pass.*unknown key "bogus"/],
      ["/ fcgi://h/ timeout=soon", /key "timeout": "soon" is not a duration/],
      ["/ fcgi://h/ backend-type=CGI", /key "backend-type": "CGI" must be one of FPM, GENERIC/],
      ["/ fcgi://h/ max-body=lots", /key "max-body"/],
      ["/ fcgi://h/ pass-authorization=maybe", /must be on or off/],
      ["/ fcgi://h/ document-root=rel", /must be an absolute path/],
      ["php fcgi://h/", /must start with "\/"/],
      ["/only-a-path", /expected a path prefix and a target/],
    ];
    for (const [line, re] of cases) {
      assert.throws(() => parseProxyPass(line), (e: unknown) => e instanceof ConfigError && re.test(e.message), line);
    }
  });
});

describe("JSON config", () => {
  const text = JSON.stringify({
    listen: "127.0.0.1:9999",
    "document-root": "/srv/www",
    routes: [
      {
        path: "/app/",
        target: "fcgi://127.0.0.1:9000/srv/app/",
        timeout: 5,
        "pass-authorization": false,
        env: { APP_ENV: "test" },
        "set-env-if": [{ if: { header: "X-Debug", matches: "^(on|yes)$" }, set: { DEBUG: "$1" } }, { unset: ["REMOTE_PORT"] }],
      },
    ],
  });

  it("reads the same keys as the CLI, plus env and set-env-if", () => {
    const cfg = parseJsonConfig(text, "cfg.json");
    assert.deepEqual(cfg.listen, { host: "127.0.0.1", port: 9999 });
    assert.equal(cfg.documentRoot, "/srv/www");
    const r = cfg.routes[0]!;
    assert.equal(r.ioTimeoutMs, 5000);
    assert.equal(r.passAuthorization, false);
    assert.deepEqual(r.env, [["APP_ENV", "test"]]);
    assert.equal(r.setEnvIf.length, 2);
    assert.equal(r.setEnvIf[0]!.if?.name, "x-debug");
  });

  it("names the path in the file for every error", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ routes: [{ path: "/", target: "fcgi://h/", timeout: "x" }] }, /f\.json: routes\[0\]\.timeout: .*not a duration/],
      [{ routes: [{ target: "fcgi://h/" }] }, /routes\[0\]\.path: required/],
      [{ routes: [{ path: "/", target: "fcgi://h/", frob: 1 }] }, /routes\[0\]\.frob: unknown key "frob"/],
      [{ routes: [{ path: "/", target: "fcgi://h/", env: { "BAD NAME": "x" } }] }, /routes\[0\]\.env: "BAD NAME" is not a valid variable name/],
      [{ routes: [{ path: "/", target: "fcgi://h/", "set-env-if": [{ if: { var: "X", matches: "(" } , set: { A: "b" } }] }] }, /set-env-if: rules\[0\]\.if\.matches/],
      [{ routes: [{ path: "/", target: "fcgi://h/", "set-env-if": [{ set: {} }] }] }, /needs "set" or "unset"/],
      [{ listen: "nope" }, /f\.json: listen: "nope" must be HOST:PORT/],
      [{ colour: "blue" }, /f\.json: colour: unknown key/],
    ];
    for (const [doc, re] of cases) {
      assert.throws(() => parseJsonConfig(JSON.stringify(doc), "f.json"), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(doc));
    }
    assert.throws(() => parseJsonConfig("{", "f.json"), /f\.json: not valid JSON/);
  });
});

describe("merging and shadowed routes", () => {
  it("flag routes come first, then the file's; flags override file values", () => {
    const file = parseJsonConfig(JSON.stringify({ listen: "127.0.0.1:1", "document-root": "/a", routes: [{ path: "/b/", target: "fcgi://h/" }] }), "f");
    const cfg = buildGatewayConfig({ flagRoutes: [parseProxyPass("/a/ fcgi://h/")], file, listen: { host: "0.0.0.0", port: 2 } });
    assert.deepEqual(cfg.routes.map((r) => r.prefix), ["/a/", "/b/"]);
    assert.deepEqual(cfg.listen, { host: "0.0.0.0", port: 2 });
    assert.equal(cfg.documentRoot, "/a");
  });

  it("a route that an earlier one covers entirely is a start-up error", () => {
    const build = (...lines: string[]) => buildGatewayConfig({ flagRoutes: lines.map((l) => parseProxyPass(l)) });
    assert.throws(() => build("/ fcgi://h/", "/php/ fcgi://h/"), /route "\/php\/".*earlier route "\/"/);
    assert.throws(() => build("/php fcgi://h/", "/php/x fcgi://h/"), /never used/);
    assert.throws(() => build("/php/ fcgi://h/", "/php/ fcgi://h/"), /never used/);
    // Not shadowed: the more specific route first, or a sibling.
    assert.equal(build("/php/x fcgi://h/", "/php fcgi://h/").routes.length, 2);
    assert.equal(build("/php/ fcgi://h/", "/php fcgi://h/").routes.length, 2);
    assert.equal(build("/php fcgi://h/", "/phpmyadmin fcgi://h/").routes.length, 2);
  });
});

describe("DOCUMENT_ROOT and start-up warnings", () => {
  const build = (lines: string[], extra: { documentRoot?: string; cwd?: string } = {}) => {
    const warnings: string[] = [];
    const cfg = buildGatewayConfig({ flagRoutes: lines.map((l) => parseProxyPass(l)), ...extra, warn: (where, m) => warnings.push(`${where}: ${m}`) });
    return { roots: cfg.routes.map((r) => r.documentRoot), warnings };
  };

  it("the route's key, else --document-root, else the target's path, else the working directory with a warning", () => {
    const lines = ["/a/ fcgi://h:9000/srv/a/ document-root=/own", "/b/ fcgi://h:9000/srv/b/", "/c/ fcgi://h:9000/"];
    assert.deepEqual(build(lines, { documentRoot: "/global", cwd: "/work" }).roots, ["/own", "/global", "/global"]);
    const fallback = build(lines, { cwd: "/work" });
    assert.deepEqual(fallback.roots, ["/own", "/srv/b", "/work"]);
    assert.equal(fallback.warnings.filter((w) => /DOCUMENT_ROOT is the current directory \/work/.test(w)).length, 1);
    assert.match(fallback.warnings.find((w) => /current directory/.test(w))!, /^route "\/c\/"/);
    // The library (no cwd): nothing to fall back to, no warning about it.
    assert.deepEqual(build(["/c/ fcgi://h:9000/"]).roots, [undefined]);
  });

  it("warns when an FPM route's target has no path (PHP-FPM would answer File not found.)", () => {
    const { warnings } = build(["/x/ fcgi://127.0.0.1:9000 ", "/y/ fcgi://127.0.0.1:9000/srv/", "/z/ fcgi://127.0.0.1:9001 backend-type=GENERIC"], { documentRoot: "/srv" });
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /^route "\/x\/": fcgi:\/\/127\.0\.0\.1:9000 has no path.*"File not found\."/);
  });

  it("warns about a unix socket that does not exist yet, once per path", () => {
    const cfg = buildGatewayConfig({ flagRoutes: ["/a/ unix:/run/x.sock|fcgi://localhost/srv/", "/b/ unix:/run/x.sock|fcgi://localhost/srv/", "/c/ unix:/run/y.sock|fcgi://localhost/srv/"].map((l) => parseProxyPass(l)) });
    const warnings: string[] = [];
    warnMissingSockets(cfg, (p) => p === "/run/y.sock", (where, m) => warnings.push(`${where}: ${m}`));
    assert.deepEqual(warnings, ['route "/a/": /run/x.sock does not exist (yet): requests get 503 until the FastCGI application creates it']);
  });

  it("a shared pool warns only about the keys a later route sets differently, naming both routes", async () => {
    const lines: string[] = [];
    const gw = createGateway(buildGatewayConfig({
      flagRoutes: ["/a/ fcgi://127.0.0.1:9000/srv/ max=8", "/b/ fcgi://127.0.0.1:9000/srv/ timeout=3", "/c/ fcgi://127.0.0.1:9000/srv/ max=8 ttl=5", "/d/ fcgi://127.0.0.1:9000/srv/ max=16 ttl=9 acquire=100"].map((l) => parseProxyPass(l)),
      documentRoot: "/srv",
    }), { log: (_level, line) => lines.push(line) });
    await gw.close();
    const pool = lines.filter((l) => /pool keys/.test(l));
    assert.equal(pool.length, 1, lines.join("\n"));
    assert.match(pool[0]!, /route "\/d\/": pool keys max=16 ttl=9 acquire=100 ignored: route "\/a\/" already defined the pool for 127\.0\.0\.1:9000/);
  });
});

describe("CLI flags", () => {
  it("parses every flag in both spellings", () => {
    const a = parseArgs(["--listen", "[::1]:8081", "--document-root=/srv", "--config", "x.json", "--proxy-pass", "/ fcgi://h/", "--proxy-pass=/b/ fcgi://h/"]);
    assert.deepEqual(a.listen, { host: "::1", port: 8081 });
    assert.equal(a.documentRoot, "/srv");
    assert.equal(a.configFile, "x.json");
    assert.equal(a.flagRoutes.length, 2);
    assert.equal(parseArgs(["--help"]).help, true);
  });

  it("refuses unknown flags and missing values", () => {
    assert.throws(() => parseArgs(["--port", "80"]), /--port: unknown option/);
    assert.throws(() => parseArgs(["--listen"]), /--listen: needs a value/);
    assert.throws(() => parseArgs(["--document-root", "rel"]), /must be an absolute path/);
  });

  it("hints at npm's -- and at the nearest known flag; --shutdown-timeout and --version", () => {
    // `npm start --listen 127.0.0.1:18028` passes us only the value.
    assert.throws(() => parseArgs(["127.0.0.1:18028"]), /"127\.0\.0\.1:18028": unexpected argument.*npm start -- --listen/);
    assert.throws(() => parseArgs(["--lisen", "127.0.0.1:1"]), /--lisen: unknown option \(did you mean --listen\?\)/);
    assert.throws(() => parseArgs(["--proxypass", "/ x"]), /did you mean --proxy-pass\?/);
    assert.throws(() => parseArgs(["--colour", "blue"]), (e: Error) => !/did you mean/.test(e.message));
    assert.equal(parseArgs([]).shutdownTimeoutMs, 10_000);
    assert.equal(parseArgs(["--shutdown-timeout", "2.5"]).shutdownTimeoutMs, 2500);
    assert.equal(parseArgs(["--shutdown-timeout=0"]).shutdownTimeoutMs, 0);
    assert.throws(() => parseArgs(["--shutdown-timeout", "soon"]), /--shutdown-timeout: "soon" is not a duration/);
    assert.equal(parseArgs(["--version"]).version, true);
  });

  it("VERSION is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});

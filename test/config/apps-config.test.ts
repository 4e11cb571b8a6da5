// --app flags, the JSON "apps" object, app:NAME targets and the environment an app starts with.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appRuntimeDir, appSocketPath, parseAppFlag, parseAppsJson, splitWords } from "../../src/config/apps.ts";
import { parseTarget } from "../../src/config/target.ts";
import { appEnvironment, fillPlaceholders } from "../../src/apps/app-env.ts";
import { readJsonConfig } from "../../src/config/json.ts";
import { fpmPoolConfig } from "../../src/apps/php-fpm.ts";
import { implicitFpmApp, sizeAppPools } from "../../src/config/apps.ts";
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { configFromJson } from "../../src/config/from-json.ts";
import { parseProxyPass } from "../../src/config/proxy-pass.ts";
import { parseSite } from "../../src/config/site.ts";
import { parseArgs } from "../../src/cli/args.ts";

describe("--app", () => {
  it("reads NAME, keys before --, the command after it, with quoted words", () => {
    const a = parseAppFlag(`php count=2 max-requests=500 env=A=b=c env-allow=HOME,USER stop-signal=quit -- php-cgi8.2 -d "memory_limit = 64M" -c '/etc/my php.ini'`, "/run/x");
    assert.equal(a.name, "php");
    assert.deepEqual(a.command, ["php-cgi8.2", "-d", "memory_limit = 64M", "-c", "/etc/my php.ini"]);
    assert.equal(a.count, 2);
    assert.equal(a.maxRequests, 500);
    assert.deepEqual(a.env, [["A", "b=c"]]);
    assert.ok(a.envAllow.includes("PATH") && a.envAllow.includes("HOME") && a.envAllow.includes("USER"));
    assert.equal(a.stopSignal, "SIGQUIT");
    assert.deepEqual(a.listen, { kind: "unix", path: "/run/x/php.sock", mode: 0o600 });
    assert.equal(a.socket, "fd0");
    assert.equal(a.stopTimeoutMs, 10_000);
  });

  it("refuses what cannot work, naming the flag", () => {
    assert.throws(() => parseAppFlag("php php-cgi"), /--app "php php-cgi": needs the form "NAME \[key=value \.\.\.\] -- COMMAND/);
    assert.throws(() => parseAppFlag("p/x -- a"), /is not an app name/);
    assert.throws(() => parseAppFlag("php colour=red -- a"), /colour: unknown key/);
    assert.throws(() => parseAppFlag("php --"), /needs a command/);
    assert.throws(() => parseAppFlag("fpm socket=self count=2 -- php-fpm"), /count applies to socket=fd0/);
    assert.throws(() => parseAppFlag("php stop-signal=KILL -- a"), /must be one of SIGTERM/);
    assert.throws(() => parseAppFlag(`php -- a "b`), /unclosed " quote/);
    assert.throws(() => parseAppFlag("fpm socket=self max-lifetime=60 -- php-fpm"), /max-lifetime replaces fd0 processes/);
    assert.equal(parseAppFlag("php max-lifetime=3600 -- a").maxLifetimeMs, 3_600_000);
  });

  it("splits words on whitespace, keeping quoted spaces and empty quoted words", () => {
    assert.deepEqual(splitWords(`a  'b c' "" d"e f"g`), ["a", "b c", "", "de fg"]);
  });

  it("is collected by the CLI in order", () => {
    const args = parseArgs(["--app", "one -- a", "--app", "two -- b"]);
    assert.deepEqual(args.flagApps.map((a) => a.name), ["one", "two"]);
  });
});

describe("the JSON apps object", () => {
  it("takes command lists, env objects and keys", () => {
    const file = readJsonConfig({ apps: { fpm: { command: ["php-fpm8.2", "-F"], socket: "self", env: { FPM_SOCKET: "{socket}", N: 3 }, "env-allow": ["HOME"], "stop-timeout": 2 } } }, "c.json");
    const [a] = file.apps;
    assert.equal(a!.name, "fpm");
    assert.deepEqual(a!.command, ["php-fpm8.2", "-F"]);
    assert.equal(a!.socket, "self");
    assert.deepEqual(a!.env, [["FPM_SOCKET", "{socket}"], ["N", "3"]]);
    assert.equal(a!.stopTimeoutMs, 2000);
  });

  it("names the place of a mistake", () => {
    assert.throws(() => parseAppsJson({ php: { command: "php-cgi" } }, "c.json: apps"), /c\.json: apps\.php\.command: required, a list of strings/);
    assert.throws(() => parseAppsJson({ php: { command: ["x"], count: 0 } }, "c.json: apps"), /c\.json: apps\.php\.count: "0" must be a whole number from 1/);
    assert.throws(() => parseAppsJson([], "c.json: apps"), /must be an object/);
  });
});

describe("app:NAME targets and the socket directory", () => {
  it("is the app's private Unix socket, named like a unix: target to localhost", () => {
    const t = parseTarget("app:php/srv/app/");
    assert.deepEqual(t.endpoint, { kind: "unix", path: appSocketPath("php") });
    assert.equal(t.filenamePrefix, "proxy:fcgi://localhost");
    assert.equal(t.path, "/srv/app/");
    assert.equal(t.app, "php");
    assert.equal(parseTarget("app:php").path, "");
    assert.throws(() => parseTarget("app:"), /is not an app name/);
  });

  it("lives in PROXY_FCGI_RUNTIME_DIR, else TMPDIR/proxy-fcgi-PID", () => {
    assert.equal(appRuntimeDir({ PROXY_FCGI_RUNTIME_DIR: "/run/pf/" }, 7), "/run/pf");
    assert.equal(appRuntimeDir({ TMPDIR: "/var/tmp" }, 7), "/var/tmp/proxy-fcgi-7");
    assert.equal(appRuntimeDir({}, 7), "/tmp/proxy-fcgi-7");
  });
});

describe("an app's environment", () => {
  it("holds only allowed names from the gateway's, then its own variables with placeholders, then PHP's", () => {
    const a = parseAppFlag("php env=SOCK={socket} env=WHO={name} max-requests=100 children=4 env-allow=KEEP -- php-cgi", "/run/x");
    const env = appEnvironment(a, { PATH: "/bin", SECRET: "no", KEEP: "yes", LANG: "C.UTF-8" });
    assert.deepEqual(env, { PATH: "/bin", LANG: "C.UTF-8", KEEP: "yes", SOCK: "/run/x/php.sock", WHO: "php", PHP_FCGI_MAX_REQUESTS: "100", PHP_FCGI_CHILDREN: "4" });
    assert.equal(fillPlaceholders("--listen={socket} {port}", a), "--listen=/run/x/php.sock {port}");
  });
});

describe("kind=php-fpm", () => {
  it("needs no command, binds its own socket, stops with SIGQUIT, and sizes its pool from children", () => {
    const a = parseAppFlag("fpm kind=php-fpm children=3 max-requests=200 env=APP_ENV=prod user=web group=web", "/run/x");
    assert.equal(a.kind, "php-fpm");
    assert.deepEqual(a.command, []);
    assert.equal(a.socket, "self");
    assert.equal(a.stopSignal, "SIGQUIT");
    assert.deepEqual(a.fpm, { maxChildren: 3, user: "web", group: "web" });
    assert.equal(a.children, null); // not PHP_FCGI_CHILDREN
    assert.throws(() => parseAppFlag("fpm kind=php-fpm socket=fd0"), /kind=php-fpm is socket=self/);
    const conf = fpmPoolConfig(a, "/run/x/fpm-fpm.log", true);
    for (const line of ["listen = /run/x/fpm.sock", "listen.mode = 0600", "user = web", "pm.max_children = 3", "pm.max_requests = 200",
      "clear_env = yes", "env[APP_ENV] = prod", "security.limit_extensions = .php", "catch_workers_output = yes", "process_control_timeout = 9s",
      "ping.path = /fpm-ping", "pm.status_path = /fpm-status", "daemonize = no"]) {
      assert.ok(conf.split("\n").includes(line), `${line} in:\n${conf}`);
    }
    assert.ok(!fpmPoolConfig(a, "/l", false).includes("user ="), "no user line when the gateway is not root");
  });

  it("is what a site's BACKEND php-fpm names: app:php-fpm, which the CLI defines with every default when absent", () => {
    const site = parseSite("/ /srv/app php-fpm");
    assert.equal(site.target.kind === "fcgi" && site.target.app, "php-fpm");
    const a = implicitFpmApp("/run/x");
    assert.equal(a.name, "php-fpm");
    assert.equal(a.kind, "php-fpm");
    assert.equal(a.fpm!.maxChildren, null);
  });

  it("reads from JSON without a command", () => {
    const file = readJsonConfig({ apps: { fpm: { kind: "php-fpm", children: 5 } } }, "c.json");
    assert.equal(file.apps[0]!.fpm!.maxChildren, 5);
  });
});

describe("pools of routes that name an app", () => {
  it("are sized to what the app serves at once, smax one below, unless the route writes max or smax", () => {
    const config = buildGatewayConfig({ flagRoutes: [
      parseProxyPass("/a/ app:cgi/srv/"),
      parseProxyPass("/b/ app:fpm/srv/ smax=1"),
      parseProxyPass("/c/ fcgi://127.0.0.1:9000/srv/"),
    ] });
    const apps = [parseAppFlag("cgi count=2 children=3 -- php-cgi", "/run/x"), parseAppFlag("fpm kind=php-fpm", "/run/x")];
    const sized = sizeAppPools(config, apps, 4);
    assert.deepEqual([sized.routes[0]!.pool.max, sized.routes[0]!.pool.smax], [6, 5]);
    assert.deepEqual([sized.routes[1]!.pool.max, sized.routes[1]!.pool.smax], [8, 1]); // 2 × 4 cores; smax as written
    assert.deepEqual(sized.routes[2]!.pool, config.routes[2]!.pool);
  });
});

describe("an embedded gateway, a fetch handler and a Worker", () => {
  it("refuse apps: only the proxy-fcgi command starts processes", () => {
    assert.throws(() => configFromJson({ apps: { php: { command: ["php-cgi"] } } } as never, "PROXY_FCGI_CONFIG"),
      /PROXY_FCGI_CONFIG: apps: apps are started by the proxy-fcgi command; an embedded gateway, a fetch handler or a Worker cannot start processes/);
    assert.throws(() => configFromJson({ routes: [{ path: "/", target: "app:php/srv/" }] }, "PROXY_FCGI_CONFIG"), /route "\/": app:php is not defined/);
  });
});

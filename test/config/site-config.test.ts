// `--site` lines and JSON routes with `root`: defaults (Caddy's php_fastcgi), the site keys, the route keys
// that still apply, the keys a site refuses, and one first-match order shared with --proxy-pass.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSite } from "../../src/config/site.ts";
import { parseJsonConfig } from "../../src/config/json.ts";
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { parseArgs } from "../../src/cli/args.ts";
import { parseProxyPass } from "../../src/config/proxy-pass.ts";
import { createGateway } from "../../src/adapters/embedded.ts";
import { ConfigError } from "../../src/errors.ts";

function configError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
}

describe("--site", () => {
  it("defaults: try-files {path} {path}/index.php /index.php, index index.php index.html, split .php, precompressed on", () => {
    const r = parseSite("/ /srv/app fcgi://127.0.0.1:9000");
    assert.equal(r.prefix, "/");
    assert.equal(r.documentRoot, "/srv/app");
    assert.deepEqual(r.site, {
      root: "/srv/app",
      hasBackend: true,
      tryFiles: [{ kind: "path", template: "{path}" }, { kind: "path", template: "{path}/index.php" }, { kind: "path", template: "/index.php" }],
      index: ["index.php", "index.html"],
      split: [".php"],
      hide: [],
      aliases: [],
      precompressed: true,
      expires: [],
    });
    const none = parseSite("/static/ /srv/static none");
    assert.equal(none.prefix, "/static"); // a site at /static also answers /static itself (with a redirect)
    assert.equal(none.target.kind, "none");
    assert.deepEqual(none.site?.tryFiles, [{ kind: "path", template: "{path}" }, { kind: "status", code: 404 }]);
  });

  it("site keys and route keys together; a relative root resolves against the working directory", () => {
    const r = parseSite("/ app unix:/run/php/fpm.sock|fcgi://localhost try-files={path},=404 index=index.php split=.php,.PHTML " +
      "hide=*.bak,/vendor/* alias=/media:/var/media expires=*.css:7d,*.png:1h precompressed=off timeout=30 max=4 max-body=10m", "x", "/home/u");
    assert.equal(r.site?.root, "/home/u/app");
    assert.deepEqual(r.site?.tryFiles, [{ kind: "path", template: "{path}" }, { kind: "status", code: 404 }]);
    assert.deepEqual(r.site?.split, [".php", ".phtml"]);
    assert.deepEqual(r.site?.hide, ["*.bak", "/vendor/*"]);
    assert.deepEqual(r.site?.aliases, [{ prefix: "/media", dir: "/var/media" }]);
    assert.deepEqual(r.site?.expires, [{ glob: "*.css", maxAgeS: 604800 }, { glob: "*.png", maxAgeS: 3600 }]);
    assert.equal(r.site?.precompressed, false);
    assert.equal(r.ioTimeoutMs, 30_000);
    assert.equal(r.pool.max, 4);
    assert.equal(r.maxBody, 10 * 1024 * 1024);
    assert.deepEqual(parseSite("/ /srv fcgi://h:1 index=off").site?.tryFiles, [{ kind: "path", template: "{path}" }, { kind: "status", code: 404 }]);
  });

  it("refuses what a front-controller site cannot honour, naming the key", () => {
    configError(() => parseSite("/ /srv fcgi://h:1 backend-type=GENERIC"), /backend-type.*not for a site/);
    configError(() => parseSite("/ /srv fcgi://h:1 path-info=full"), /path-info.*not for a site/);
    configError(() => parseSite("/ /srv fcgi://h:1 try-files==404,{path}"), /=CODE entry must come last/);
    configError(() => parseSite("/ /srv fcgi://h:1 try-files={path},=99"), /CODE from 200 to 599/);
    configError(() => parseSite("/ /srv fcgi://h:1/srv/app/"), /has a path; a site's scripts are found under its root/);
    configError(() => parseSite("/ /srv"), /expected URL-PATH ROOT BACKEND/);
    configError(() => parseSite("/ /srv fcgi://h:1 alias=media:/x"), /must start with "\/"/);
    configError(() => parseSite("/ rel fcgi://h:1", "x", null), /relative/);
    configError(() => parseSite("/ /srv fcgi://h:1 nosuch=1"), /unknown key "nosuch"/);
  });

  it("JSON: a route with root is a site; list keys may be arrays; env and set-env-if apply", () => {
    const f = parseJsonConfig(JSON.stringify({
      routes: [
        { path: "/", root: "/srv/wp", target: "fcgi://127.0.0.1:9000", "try-files": ["{path}", "/index.php"], alias: ["/a:/x", "/b:/y"], env: { APP_ENV: "prod" }, timeout: 20 },
        { path: "/api/", target: "fcgi://127.0.0.1:9001/srv/api/" },
      ],
    }), "site.json");
    const site = f.routes[0]!;
    assert.deepEqual(site.site?.tryFiles, [{ kind: "path", template: "{path}" }, { kind: "path", template: "/index.php" }]);
    assert.deepEqual(site.site?.aliases.map((a) => a.prefix), ["/a", "/b"]);
    assert.deepEqual(site.env, [["APP_ENV", "prod"]]);
    assert.equal(site.ioTimeoutMs, 20_000);
    assert.equal(f.routes[1]!.site, undefined);
    assert.throws(() => parseJsonConfig('{"routes":[{"path":"/","root":"/srv"}]}', "f.json"), /routes\[0\]\.target.*none/);
  });

  it("sites and ProxyPass routes share one first-match order and one shadowing check", () => {
    const args = parseArgs(["--proxy-pass", "/api/ fcgi://127.0.0.1:9001/srv/api/", "--site", "/ /srv/app fcgi://127.0.0.1:9000"]);
    const config = buildGatewayConfig({ flagRoutes: args.flagRoutes });
    assert.deepEqual(config.routes.map((r) => [r.prefix, r.site !== undefined]), [["/api/", false], ["/", true]]);
    configError(() => buildGatewayConfig({ flagRoutes: [parseSite("/ /srv/app fcgi://h:1"), parseProxyPass("/api/ fcgi://h:2/x/")] }), /never used/);
  });

  it("a gateway without file access (Workers) refuses a site at creation", () => {
    const config = buildGatewayConfig({ flagRoutes: [parseSite("/ /srv/app fcgi://127.0.0.1:9000")] });
    configError(() => createGateway(config, { siteFiles: null, log: () => {} }), /needs a filesystem/);
  });
});

// The Hono handler inside real Hono apps: mount prefixes (plain, app.route, parameters), the client address
// from Hono's environment, and middleware around it seeing and changing the Response.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { fastcgi, mountOf } from "../../src/adapters/hono.ts";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { startBackend } from "../helpers/harness.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";

describe("fastcgi() in a Hono app", () => {
  let backend: ResponderServer & { port: number };
  let handlers: Array<{ close(): Promise<void> }> = [];
  const make = (opts: Parameters<typeof fastcgi>[0]) => {
    const h = fastcgi(opts, { log: () => {} });
    handlers.push(h);
    return h;
  };
  before(async () => {
    backend = await startBackend(echoHandler);
  });
  after(async () => {
    for (const h of handlers) await h.close();
    handlers = [];
    await backend.close();
  });

  const params = async (res: Response) => {
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as EchoBody).params;
  };

  it("maps the rest of the path after the route's prefix onto the target; SCRIPT_NAME keeps the whole URL", async () => {
    const app = new Hono();
    app.all("/php/*", make({ target: `fcgi://127.0.0.1:${backend.port}/srv/app/`, documentRoot: "/srv/app" }));
    const p = await params(await app.request("/php/sub/index.php?x=1", { headers: { "x-test": "1" } }));
    assert.equal(p.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/sub/index.php`);
    assert.equal(p.SCRIPT_NAME, "/php/sub/index.php");
    assert.equal(p.REQUEST_URI, "/php/sub/index.php?x=1");
    assert.equal(p.QUERY_STRING, "x=1");
    assert.equal(p.DOCUMENT_ROOT, "/srv/app");
    assert.equal(p.HTTP_X_TEST, "1");
  });

  it("knows its prefix under app.route() and with route parameters", async () => {
    const sub = new Hono();
    sub.all("/php/*", make({ target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }));
    const app = new Hono();
    app.route("/api", sub);
    app.all("/:site/legacy/*", make({ target: `fcgi://127.0.0.1:${backend.port}/srv/legacy/`, "backend-type": "GENERIC" }));
    const a = await params(await app.request("/api/php/a.php"));
    assert.equal(a.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/a.php`);
    assert.equal(a.SCRIPT_NAME, "/api/php/a.php");
    const b = await params(await app.request("/acme/legacy/b.php"));
    assert.equal(b.SCRIPT_FILENAME, "/srv/legacy/b.php");
    assert.equal(b.SCRIPT_NAME, "/acme/legacy/b.php");
  });

  it("takes the client address from Hono's environment (Deno's info, Bun's server, @hono/node-server's incoming)", async () => {
    const app = new Hono();
    app.all("/php/*", make({ target: `fcgi://127.0.0.1:${backend.port}/srv/` }));
    const deno = await params(await app.fetch(new Request("http://h.test/php/x"), { remoteAddr: { hostname: "::ffff:10.0.0.7", port: 5001, transport: "tcp" } }));
    assert.equal(deno.REMOTE_ADDR, "10.0.0.7");
    assert.equal(deno.REMOTE_PORT, "5001");
    const bun = await params(await app.fetch(new Request("http://h.test/php/x"), { requestIP: () => ({ address: "10.0.0.8", port: 5002 }) }));
    assert.equal(bun.REMOTE_ADDR, "10.0.0.8");
    const node = await params(await app.fetch(new Request("http://h.test/php/x?y"), {
      incoming: { socket: { remoteAddress: "10.0.0.9", remotePort: 5003, localAddress: "127.0.0.1", localPort: 8080 }, url: "/php/x?y", httpVersion: "1.0" },
    }));
    assert.equal(node.REMOTE_ADDR, "10.0.0.9");
    assert.equal(node.SERVER_PROTOCOL, "HTTP/1.0");
    assert.equal(node.SERVER_PORT, "8080"); // the listener's: no Host port
  });

  it("logs the route as the client sees it: the Hono mount plus the gateway's prefix, with the client address", async () => {
    const lines: string[] = [];
    const h = fastcgi({ target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }, { log: (_level, line) => lines.push(line) });
    handlers.push(h);
    const app = new Hono();
    app.all("/php/*", h);
    const p = await params(await app.fetch(new Request("http://h.test/php/x.php", { headers: { "user-agent": "hono-test/1" } }), { remoteAddr: { hostname: "10.0.0.7", port: 5001, transport: "tcp" } }));
    assert.equal(p.DOCUMENT_ROOT, "/srv/app"); // no documentRoot: the target's path
    const access = lines.find((l) => / status=200 /.test(l));
    assert.match(access ?? lines.join("\n"), / client=10\.0\.0\.7 method=GET uri=\/php\/x\.php route=\/php\/ .* ua=hono-test\/1$/);
  });

  it("middleware around it sees and changes the Response", async () => {
    const app = new Hono();
    app.use("*", async (c, next) => {
      await next();
      c.res.headers.set("x-wrapped", c.res.headers.get("content-type") ?? "none");
    });
    app.all("/php/*", make({ target: `fcgi://127.0.0.1:${backend.port}/srv/` }));
    const res = await app.request("/php/x.php");
    assert.equal(res.headers.get("x-wrapped"), "application/json");
    await res.arrayBuffer();
  });

  it("route keys work as in the JSON config; an unknown key is refused at creation", () => {
    assert.throws(() => fastcgi({ target: "fcgi://127.0.0.1:9000/", colour: "red" }), /unknown key "colour"/);
    assert.throws(() => fastcgi({ target: "http://nope/" }), /not a valid fcgi:\/\/ target/);
  });

  it("mountOf(): the path Hono's pattern covers before its wildcard", () => {
    assert.equal(mountOf("/php/*", "/php/a/b.php"), "/php");
    assert.equal(mountOf("/*", "/x"), "");
    assert.equal(mountOf("*", "/x"), "");
    assert.equal(mountOf("/:site/php/*", "/acme/php/x.php"), "/acme/php");
    assert.equal(mountOf("/exact.php", "/exact.php"), "");
  });
});

// A site in front of a real PHP-FPM: the script variables PHP sees (split at .php, front controller, a site
// under a prefix), HTTP_PROXY never sent, spooled chunked bodies, and the security cases: nothing outside the
// root is served, nothing that is not a script under the root runs, and no PHP source leaves as bytes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { fixturePath, removeDir } from "../helpers/fixtures.ts";
import { serveGateway, testSite, type TestGateway } from "../helpers/harness.ts";
import { phpFpmMissing, startPhpFpm, type PhpFpm } from "../helpers/php-fpm.ts";
import { makeTree } from "../helpers/site-tree.ts";
import { streamOf } from "../helpers/integration-util.ts";
import type { RunningServer } from "../../src/adapters/types.ts";

type Server = Record<string, string | undefined>;

const ENV_PHP = readFileSync(fixturePath("php", "env.php"), "utf8");
const UPLOAD_PHP = readFileSync(fixturePath("php", "upload.php"), "utf8");
/** Prints EXECUTED when run; its source never contains that word whole. */
const MARKER_PHP = `<?php echo "EXE" . "CUTED";`;

describeWithBackend("a site in front of PHP-FPM", phpFpmMissing(), () => {
  let fpm: PhpFpm;
  let dir = "";
  let root = "";
  let gw: TestGateway;
  let server: RunningServer & { url: string };

  before(async () => {
    fpm = await startPhpFpm({ tcpChildren: 3, unixChildren: 2 });
    dir = realpathSync(makeTree("sitefpm", {
      "outside/secret.txt": "TOP SECRET",
      "outside/run.php": MARKER_PHP,
      "root/index.php": ENV_PHP,
      "root/env.php": ENV_PHP,
      "root/app.PHP": ENV_PHP,
      "root/sub/index.php": ENV_PHP,
      "root/upload.php": UPLOAD_PHP,
      "root/style.css": "body { color: red }",
      "root/wp-content/uploads/x.jpg": MARKER_PHP,
      "root/uni.\uff50\uff48\uff50": MARKER_PHP,
      "root/x.phps": MARKER_PHP,
      "root/.env": "DB_PASSWORD=hunter2",
      "root/.git/config": "[core] secret",
      "root/out.txt": { link: "../outside/secret.txt" },
      "root/out.php": { link: "../outside/run.php" },
      "shared/hello.php": ENV_PHP,
    }));
    root = join(dir, "root");
    const backend = `unix:${fpm.socketPath}|fcgi://localhost`;
    gw = testSite([
      `/blog ${root} fcgi://127.0.0.1:${fpm.port}`,
      `/ ${root} ${backend} alias=/shared:${join(dir, "shared")}`,
    ]);
    server = await serveGateway(gw.gateway);
  });

  after(async () => {
    await server?.close();
    await gw?.close();
    await fpm?.close();
    removeDir(dir);
  });

  const get = (path: string, init: RequestInit = {}) => fetch(server.url + path, { redirect: "manual", ...init });
  async function env(path: string, init: RequestInit = {}): Promise<Server> {
    const r = await get(path, init);
    const text = await r.text();
    assert.equal(r.status, 200, `${path}: ${r.status} ${text.slice(0, 300)}`);
    return (JSON.parse(text) as { server: Server }).server;
  }

  describe("script variables", () => {
    it("split at .php: SCRIPT_NAME, PATH_INFO, PATH_TRANSLATED, DOCUMENT_URI; SCRIPT_FILENAME and DOCUMENT_ROOT plain paths", async () => {
      const s = await env("/env.php/extra/path?q=1");
      assert.equal(s.SCRIPT_FILENAME, `${root}/env.php`);
      assert.equal(s.SCRIPT_NAME, "/env.php");
      assert.equal(s.PATH_INFO, "/extra/path");
      assert.equal(s.PATH_TRANSLATED, `${root}/extra/path`);
      assert.equal(s.DOCUMENT_URI, "/env.php/extra/path");
      assert.equal(s.DOCUMENT_ROOT, root);
      assert.equal(s.REQUEST_URI, "/env.php/extra/path?q=1");
      assert.equal(s.QUERY_STRING, "q=1");
      assert.equal(s.PHP_SELF, "/env.php/extra/path");
    });

    it("front controller: a pretty permalink runs /index.php with the request's own REQUEST_URI", async () => {
      const s = await env("/hello-world/?a=b");
      assert.equal(s.SCRIPT_NAME, "/index.php");
      assert.equal(s.SCRIPT_FILENAME, `${root}/index.php`);
      assert.equal(s.REQUEST_URI, "/hello-world/?a=b");
      assert.equal(s.PATH_INFO, undefined);
      assert.equal(s.DOCUMENT_URI, "/index.php");
      const sub = await env("/sub/");
      assert.equal(sub.SCRIPT_NAME, "/sub/index.php");
    });

    it("a directory without its slash: 308 to the slash form, query kept", async () => {
      const r = await get("/sub?x=1");
      assert.equal(r.status, 308);
      assert.equal(r.headers.get("location"), "/sub/?x=1");
      await r.arrayBuffer();
    });

    it("a site under a prefix: SCRIPT_NAME carries the prefix; /blog redirects to /blog/", async () => {
      const s = await env("/blog/env.php/x");
      assert.equal(s.SCRIPT_NAME, "/blog/env.php");
      assert.equal(s.SCRIPT_FILENAME, `${root}/env.php`);
      assert.equal(s.PATH_INFO, "/x");
      const front = await env("/blog/some/post/");
      assert.equal(front.SCRIPT_NAME, "/blog/index.php");
      const r = await get("/blog");
      assert.equal(r.status, 308);
      assert.equal(r.headers.get("location"), "/blog/");
      await r.arrayBuffer();
    });

    it("an alias directory's script runs from there", async () => {
      const s = await env("/shared/hello.php");
      assert.equal(s.SCRIPT_FILENAME, `${dir}/shared/hello.php`);
      assert.equal(s.SCRIPT_NAME, "/shared/hello.php");
    });

    it("never sends HTTP_PROXY (httpoxy); a chunked body reaches PHP-FPM with CONTENT_LENGTH", async () => {
      const s = await env("/env.php", { headers: { proxy: "http://evil.example/" } });
      assert.equal(s.HTTP_PROXY, undefined);
      const body = new Uint8Array(300_000).fill(65);
      const r = await get("/upload.php", { method: "POST", body: streamOf(body), duplex: "half" } as RequestInit);
      const up = JSON.parse(await r.text()) as { length: number; contentLength: string | null };
      assert.equal(up.length, body.length);
      assert.equal(up.contentLength, String(body.length));
    });

    it("static files are not sent to PHP-FPM", async () => {
      const r = await get("/style.css");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/css; charset=utf-8");
      assert.equal(await r.text(), "body { color: red }");
      assert.ok(gw.logs.some((l) => /uri=\/style\.css .*backend=static status=200/.test(l.line)));
    });
  });

  describe("security cases", () => {
    /** Neither the marker script's output nor a secret nor PHP source in the response. */
    async function safe(path: string, status?: number): Promise<void> {
      const r = await get(path);
      const text = await r.text();
      if (status !== undefined) assert.equal(r.status, status, `${path}: ${r.status} ${text.slice(0, 200)}`);
      assert.ok(!text.includes("EXECUTED"), `${path} ran a script that is no script: ${text.slice(0, 200)}`);
      assert.ok(!text.includes("TOP SECRET") && !text.includes("hunter2") && !text.includes("[core]"), `${path} leaked a secret`);
      assert.ok(!text.includes("<?php"), `${path} sent PHP source`);
    }

    it("an upload dir's /x.jpg/y.php is a 404, never run", () => safe("/wp-content/uploads/x.jpg/y.php", 404));
    it("%2e%2e cannot climb out of the root", () => safe("/%2e%2e/outside/secret.txt"));
    it("a symlink out of the root is neither served nor run", async () => {
      await safe("/out.txt");
      await safe("/out.php", 404);
    });
    it(".env and .git/config are 404", async () => {
      await safe("/.env", 404);
      await safe("/.git/config", 404);
      await safe("/.git/", 404);
    });
    it("index.PHP goes to PHP-FPM as a script (ASCII case folding), never out as source; FPM's limit_extensions refuses it", async () => {
      const r = await get("/app.PHP");
      const text = await r.text();
      assert.equal(r.status, 403, text); // PHP-FPM: security.limit_extensions=.php → "Access denied."
      assert.ok(!text.includes("<?php"));
      await safe("/app.php", 404); // Linux names are case-sensitive: no such script
    });
    it("Unicode look-alikes of .php are no script: never run", async () => {
      const r = await get("/uni.%EF%BD%90%EF%BD%88%EF%BD%90");
      const text = await r.text();
      assert.ok(!text.includes("EXECUTED"), text);
      assert.ok(gw.logs.some((l) => /uri=\/uni\.\S+ .*backend=static/.test(l.line))); // its bytes, as any file's
    });
    it(".phps is a 404; /x.php%00.jpg is a 404; /env.php. is not env.php", async () => {
      await safe("/x.phps", 404);
      await safe("/env.php%00.jpg", 404);
      const s = await env("/env.php.");
      assert.equal(s.SCRIPT_NAME, "/index.php"); // no such file: the front controller answers
    });
  });
});

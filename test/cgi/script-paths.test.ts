// SCRIPT_FILENAME / SCRIPT_NAME / PATH_INFO per backend type and path-info mode.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { scriptPaths, type ScriptInput, type ScriptPaths } from "../../src/cgi/script-paths.ts";
import { parseTarget } from "../../src/config/target.ts";
import { isFile } from "../../src/platform/files.ts";
import { Forbidden } from "../../src/errors.ts";

async function run(over: Partial<ScriptInput> & { uriPath: string; rest: string }, target = "fcgi://127.0.0.1:9000/srv/app/"): Promise<ScriptPaths> {
  return await (scriptPaths({ target: parseTarget(target), backendType: "FPM", pathInfoMode: "none", documentRoot: "/var/www", ...over }, isFile));
}

describe("backend types", () => {
  it("FPM keeps Apache's proxy:fcgi:// prefix; GENERIC sends the plain path (httpd-tests cases 2 and 7)", async () => {
    const fpm = await run({ uriPath: "/php/index.php", rest: "index.php" });
    assert.deepEqual(fpm, { scriptFilename: "proxy:fcgi://127.0.0.1:9000/srv/app/index.php", scriptName: "/php/index.php" });
    const generic = await run({ uriPath: "/php/index.php", rest: "index.php", backendType: "GENERIC" });
    assert.equal(generic.scriptFilename, "/srv/app/index.php");
  });

  it("default port 8000 and unix targets spell the prefix as Apache does", async () => {
    assert.equal((await run({ uriPath: "/x.php", rest: "x.php" }, "fcgi://localhost/srv/")).scriptFilename, "proxy:fcgi://localhost/srv/x.php");
    assert.equal((await run({ uriPath: "/x.php", rest: "x.php" }, "unix:/run/fpm.sock|fcgi://localhost/srv/")).scriptFilename, "proxy:fcgi://localhost/srv/x.php");
  });

  it("no PATH_INFO by default: SCRIPT_NAME is the whole path (RFC 3875 §3.3, httpd-tests case 6b)", async () => {
    const p = await run({ uriPath: "/php/sub1/test.php/foo/bar", rest: "sub1/test.php/foo/bar" });
    assert.equal(p.scriptName, "/php/sub1/test.php/foo/bar");
    assert.equal(p.pathInfo, undefined);
    assert.equal(p.pathTranslated, undefined);
    assert.equal(p.scriptFilename, "proxy:fcgi://127.0.0.1:9000/srv/app/sub1/test.php/foo/bar");
  });

  it("SCRIPT_FILENAME is never percent-encoded; ? under FPM and control bytes are refused", async () => {
    const p = await run({ uriPath: "/my file é.php", rest: "my file é.php" });
    assert.equal(p.scriptFilename, "proxy:fcgi://127.0.0.1:9000/srv/app/my file é.php");
    await assert.rejects(run({ uriPath: "/admin.php?x.php", rest: "admin.php?x.php" }), Forbidden);
    await assert.rejects(run({ uriPath: "/a\nb", rest: "a\nb", backendType: "GENERIC" }), Forbidden);
    const generic = await run({ uriPath: "/a?b", rest: "a?b", backendType: "GENERIC" });
    assert.equal(generic.scriptFilename, "/srv/app/a?b");
  });

  it("a prefix without trailing slash joins with one slash", async () => {
    const p = await run({ uriPath: "/php/x.php", rest: "/x.php" });
    assert.equal(p.scriptFilename, "proxy:fcgi://127.0.0.1:9000/srv/app/x.php");
  });
});

describe("path-info modes", () => {
  it("first-dot and last-dot split after the dot's segment", async () => {
    const first = await run({ uriPath: "/php/a.php/b.c/d", rest: "a.php/b.c/d", pathInfoMode: "first-dot" });
    assert.deepEqual(first, {
      scriptFilename: "proxy:fcgi://127.0.0.1:9000/srv/app/a.php",
      scriptName: "/php/a.php",
      pathInfo: "/b.c/d",
      pathTranslated: "/var/www/b.c/d",
    });
    const last = await run({ uriPath: "/php/a.php/b.c/d", rest: "a.php/b.c/d", pathInfoMode: "last-dot" });
    assert.equal(last.pathInfo, "/d");
    assert.equal(last.scriptName, "/php/a.php/b.c");
    const none = await run({ uriPath: "/php/a.php", rest: "a.php", pathInfoMode: "first-dot" });
    assert.equal(none.pathInfo, undefined);
  });

  it("unescape: PATH_INFO is the whole backend path, SCRIPT_NAME what of the URI precedes it", async () => {
    const p = await run({ uriPath: "/php/x.php", rest: "x.php", pathInfoMode: "unescape" });
    assert.equal(p.pathInfo, "/srv/app/x.php");
    assert.equal(p.scriptName, "/php");
  });

  describe("full: the longest prefix that is a regular file", () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(`${tmpdir()}/pfcgi-full-`);
      await mkdir(`${dir}/app/sub`, { recursive: true });
      await writeFile(`${dir}/app/sub/index.php`, "<?php");
      await mkdir(`${dir}/root/app`, { recursive: true });
      await writeFile(`${dir}/root/app/r.php`, "<?php");
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it("as an absolute path", async () => {
      const p = await run({ uriPath: "/php/sub/index.php/foo/bar", rest: "sub/index.php/foo/bar", pathInfoMode: "full" }, `fcgi://127.0.0.1:9000${dir}/app/`);
      assert.equal(p.scriptFilename, `${dir}/app/sub/index.php`);
      assert.equal(p.pathInfo, "/foo/bar");
      assert.equal(p.scriptName, "/php/sub/index.php");
      assert.equal(p.pathTranslated, "/var/www/foo/bar");
    });

    it("under the document root when the absolute path does not exist", async () => {
      const p = await run({ uriPath: "/r.php/x", rest: "r.php/x", pathInfoMode: "full", documentRoot: `${dir}/root` }, "fcgi://h:9000/app/");
      assert.equal(p.scriptFilename, `${dir}/root/app/r.php`);
      assert.equal(p.pathInfo, "/x");
    });

    it("no file: falls back to the proxy: SCRIPT_FILENAME without PATH_INFO", async () => {
      const p = await run({ uriPath: "/nope.php/x", rest: "nope.php/x", pathInfoMode: "full" }, `fcgi://127.0.0.1:9000${dir}/app/`);
      assert.equal(p.scriptFilename, `proxy:fcgi://127.0.0.1:9000${dir}/app/nope.php/x`);
      assert.equal(p.pathInfo, undefined);
    });

    it("a file with no path info", async () => {
      const p = await run({ uriPath: "/php/sub/index.php", rest: "sub/index.php", pathInfoMode: "full" }, `fcgi://127.0.0.1:9000${dir}/app/`);
      assert.equal(p.scriptFilename, `${dir}/app/sub/index.php`);
      assert.equal(p.pathInfo, undefined);
      assert.equal(p.scriptName, "/php/sub/index.php");
    });
  });
});

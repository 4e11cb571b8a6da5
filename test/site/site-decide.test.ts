// The site's decisions, table by table, on a real temporary tree through the node:fs file service: try-files,
// the split at .php, the index redirect, hide rules, symlink confinement and aliases.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, realpathSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSite } from "../../src/config/site.ts";
import { nodeSiteFiles } from "../../src/platform/site-files.ts";
import { Site, type SiteRequest } from "../../src/site/site.ts";
import type { SiteDecision } from "../../src/site/types.ts";
import { splitScript } from "../../src/site/split.ts";
import { removeDir } from "../helpers/fixtures.ts";
import { makeTree } from "../helpers/site-tree.ts";
import { sleep } from "../helpers/harness.ts";

let dir = "";
let outside = "";
let root = "";

function site(keys = "", backend = "fcgi://127.0.0.1:9000", siteRoot = root): Site {
  return new Site(parseSite(`/ ${siteRoot} ${backend} ${keys}`).site!, nodeSiteFiles);
}

function req(path: string, query: string | null = null, base = ""): SiteRequest {
  return { path, rawPath: base + path, rawQuery: query, base };
}

/** A decision as one comparable line: `script /index.php`, `file /a.css`, `redirect /d/`, `404`. */
async function shown(s: Site, path: string, query: string | null = null): Promise<string> {
  const d: SiteDecision = await s.decide(req(path, query));
  switch (d.kind) {
    case "script": {
      const sc = d.script;
      return `script ${sc.scriptFilename.slice(root.length)}${sc.pathInfo !== undefined ? ` info=${sc.pathInfo}` : ""}`;
    }
    case "file":
      await d.file.close();
      return `file ${d.name.slice(root.length)}`;
    case "redirect":
      return `redirect ${d.location}`;
    case "status":
      return String(d.code);
  }
}

before(() => {
  dir = makeTree("site", {
    "outside/secret.txt": "secret",
    "outside/evil.php": "<?php",
    "root/index.php": "<?php",
    "root/a.css": "body{}",
    "root/app.PHP": "<?php",
    "root/blog/index.php": "<?php",
    "root/docs/index.html": "docs",
    "root/docs/page.html": "page",
    "root/empty/": "",
    "root/uploads/x.jpg": "<?php echo 'ran';",
    "root/x.phps": "source",
    "root/lib.phtml": "<?php",
    "root/.env": "SECRET=1",
    "root/.git/config": "[core]",
    "root/.htaccess": "deny",
    "root/.well-known/acme-challenge/tok": "tok",
    "root/backup.bak": "old",
    "root/notes/secret.md": "hidden dir",
    "root/out.txt": { link: "../outside/secret.txt" },
    "root/out.php": { link: "../outside/evil.php" },
    "root/outdir": { link: "../outside" },
    "root/in.txt": { link: "a.css" },
    "root/shared/": "",
    "assets/logo.svg": "<svg/>",
    "assets/run.php": "<?php",
  });
  dir = realpathSync(dir);
  root = join(dir, "root");
  outside = join(dir, "outside");
});

after(() => removeDir(dir));

describe("site decisions", () => {
  it("try-files: the file, the directory's index script, else the front controller (/index.php)", async () => {
    const s = site();
    const table: Array<[string, string]> = [
      ["/", "script /index.php"],
      ["/a.css", "file /a.css"],
      ["/hello-world/", "script /index.php"], // a pretty permalink: no such file, the front controller answers
      ["/no/such/file.css", "script /index.php"],
      ["/blog/", "script /blog/index.php"],
      ["/docs/", "file /docs/index.html"],
      ["/docs/page.html", "file /docs/page.html"],
      ["/empty/", "script /index.php"], // a directory without an index falls through to the fallback
      ["/in.txt", "file /in.txt"], // a symlink inside the root is fine
    ];
    for (const [path, want] of table) assert.equal(await shown(s, path), want, path);
  });

  it("split at .php: SCRIPT up to the extension, PATH_INFO after; a named script that does not exist is a 404, never a fallback", async () => {
    const s = site();
    const table: Array<[string, string]> = [
      ["/index.php", "script /index.php"],
      ["/index.php/a/b", "script /index.php info=/a/b"],
      ["/blog/index.php/", "script /blog/index.php info=/"],
      ["/nope.php", "404"],
      ["/uploads/x.jpg/y.php", "404"], // nginx's cgi.fix_pathinfo trap: never run x.jpg
      ["/uploads/x.jpg/index.php/z", "404"],
      ["/app.PHP", "script /app.PHP"], // ASCII case folding: .PHP is a script, so never served as source
      ["/app.php", "404"], // Linux names are case-sensitive: app.php does not exist
    ];
    for (const [path, want] of table) assert.equal(await shown(s, path), want, path);
    const d = await s.decide(req("/index.php/a/b", null, "/site"));
    assert.equal(d.kind, "script");
    if (d.kind === "script") {
      assert.deepEqual(d.script, {
        scriptFilename: `${root}/index.php`,
        scriptName: "/site/index.php",
        pathInfo: "/a/b",
        pathTranslated: `${root}/a/b`,
        documentUri: "/site/index.php/a/b",
        documentRoot: root,
      });
    }
  });

  it("splits only at ASCII-folded extensions, at the end of a segment", () => {
    const cases: Array<[string, string | null]> = [
      ["/a.php", "/a.php"],
      ["/a.PhP/x", "/a.PhP"],
      ["/a.php5", null],
      ["/a.phpx/y", null],
      ["/.php", null],
      ["/a.ｐｈｐ", null], // fullwidth letters never fold to ASCII
      ["/a.pHp\u017f", null], // ſ (long s) folds to "s" in Unicode, not here
      ["/a.php.jpg", null],
      ["/a.php./x", null],
      ["/d.php/e.php", "/d.php"], // the first script segment wins (nginx's non-greedy split)
    ];
    for (const [path, want] of cases) assert.equal(splitScript(path, [".php"])?.script ?? null, want, path);
  });

  it("a directory without its slash and with an index file: 308 to the slash form, query kept", async () => {
    const s = site();
    assert.equal(await shown(s, "/docs"), "redirect /docs/");
    assert.equal(await shown(s, "/blog", "a=1&b"), "redirect /blog/?a=1&b");
    assert.equal(await shown(s, "/empty"), "script /index.php"); // no index: no redirect
    assert.equal(await shown(site("index=off"), "/docs"), "404");
    assert.equal(await shown(site("index=off"), "/docs/"), "404"); // index off: no index files at all
  });

  it("refuses dotfiles (but /.well-known/), .ht*, PHP source under any extension, and the hide list", async () => {
    const s = site("hide=*.bak,/notes/*");
    const table: Array<[string, string]> = [
      ["/.env", "404"],
      ["/.git/config", "404"],
      ["/.htaccess", "404"],
      ["/.well-known/acme-challenge/tok", "file /.well-known/acme-challenge/tok"],
      ["/x.phps", "404"],
      ["/lib.phtml", "404"],
      ["/backup.bak", "404"],
      ["/notes/secret.md", "404"],
    ];
    for (const [path, want] of table) assert.equal(await shown(s, path), want, path);
  });

  it("no symlink leads out of the root: files, scripts and directories outside are missing", async () => {
    const s = site("try-files={path},=404");
    assert.equal(await shown(s, "/out.txt"), "404");
    assert.equal(await shown(s, "/out.php"), "404");
    assert.equal(await shown(s, "/outdir/secret.txt"), "404");
    assert.equal(await shown(s, "/outdir/evil.php"), "404");
    assert.ok(outside.length > 0);
  });

  it("try-files may end at =CODE; a static-only site (none) never runs a script", async () => {
    const s = site("try-files={path},=410");
    assert.equal(await shown(s, "/missing"), "410");
    assert.equal(await shown(s, "/a.css"), "file /a.css");
    const st = site("", "none");
    assert.equal(await shown(st, "/index.php"), "404");
    assert.equal(await shown(st, "/missing"), "404");
    assert.equal(await shown(st, "/docs/"), "file /docs/index.html");
    assert.equal(await shown(st, "/a.css"), "file /a.css");
  });

  it("alias=PREFIX:DIR maps another directory in, confined to that directory", async () => {
    const s = site(`alias=/static:${join(dir, "assets")}`);
    const logo = await s.decide(req("/static/logo.svg"));
    assert.equal(logo.kind, "file");
    if (logo.kind === "file") {
      assert.equal(logo.name, join(dir, "assets", "logo.svg"));
      await logo.file.close();
    }
    const run = await s.decide(req("/static/run.php"));
    assert.equal(run.kind, "script");
    if (run.kind === "script") assert.equal(run.script.scriptFilename, join(dir, "assets", "run.php"));
    // The pipeline removes dot segments before a site sees the path; a ".." that got here anyway is a dotfile.
    assert.equal(await shown(s, "/static/../outside/secret.txt"), "404");
  });

  it("resolves the root's symlink per request (rechecked within a second): a deploy switch takes effect without a restart", async () => {
    const releases = join(dir, "releases");
    mkdirSync(join(releases, "1"), { recursive: true });
    mkdirSync(join(releases, "2"), { recursive: true });
    // (copies, not links to the root's files: those would lead out of each release and be refused)
    writeFileSync(join(releases, "1", "index.php"), "<?php");
    writeFileSync(join(releases, "2", "index.php"), "<?php");
    const current = join(dir, "current");
    symlinkSync(join(releases, "1"), current);
    const s = site("", "fcgi://127.0.0.1:9000", current);
    const first = await s.decide(req("/"));
    assert.equal(first.kind === "script" && first.script.documentRoot, join(releases, "1"));
    // Atomic switch, as deploy tools do it: a new link renamed over the old one.
    symlinkSync(join(releases, "2"), `${current}.new`);
    renameSync(`${current}.new`, current);
    await sleep(1100);
    const second = await s.decide(req("/"));
    assert.equal(second.kind === "script" && second.script.documentRoot, join(releases, "2"));
    unlinkSync(current);
  });
});

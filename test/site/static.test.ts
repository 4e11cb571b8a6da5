// Static files of a site through the gateway, on each runtime's own HTTP server: types, validators, 304/412,
// ranges (single, multipart, 416), HEAD, 405, sidecars, expires, and the same bytes everywhere (no runtime
// compresses or rewrites what the gateway sends).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { realpathSync, truncateSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { removeDir } from "../helpers/fixtures.ts";
import { makeTree } from "../helpers/site-tree.ts";
import { runtime, serveGateway, testSite, type TestGateway } from "../helpers/harness.ts";
import type { RunningServer } from "../../src/adapters/types.ts";

const BIG = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
/** Over 1 MiB: streamed from the descriptor rather than read whole. */
const HUGE = new Uint8Array(3_000_000).map((_, i) => (i * 13) % 253);
// Larger than loopback's socket buffers on both ends (a few MiB): the gateway cannot have sent it all before
// the client, having read one chunk, truncates it.
const SHRINKS = new Uint8Array(32 * 1024 * 1024);
const TEXT = "line of text\n".repeat(2000); // 26 kB of compressible text
const MTIME = new Date("2024-05-06T07:08:09Z");

let dir = "";
let gw: TestGateway;
let server: RunningServer & { url: string };

const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const get = (path: string, headers: Record<string, string> = {}, method = "GET") => fetch(server.url + path, { method, headers });

before(async () => {
  dir = realpathSync(makeTree("static", {
    "big.bin": BIG,
    "page.html": "<!doctype html><title>x</title>",
    "text.txt": TEXT,
    "app.js": "console.log(1)\n".repeat(100),
    "app.js.gz": gzipSync("console.log(1)\n".repeat(100)),
    "style.css": "body{}",
    "empty.txt": "",
    "data.unknownext": "?",
    "shrinks.bin": SHRINKS,
    "huge.bin": HUGE,
  }));
  for (const f of ["big.bin", "page.html", "text.txt", "app.js", "app.js.gz", "style.css", "empty.txt"]) utimesSync(join(dir, f), MTIME, MTIME);
  gw = testSite([`/ ${dir} none expires=*.css:7d,*.js:1h`]);
  server = await serveGateway(gw.gateway);
});

after(async () => {
  await server.close();
  await gw.close();
  removeDir(dir);
});

describe("static files", () => {
  it("sends the bytes with Content-Type from mime-db, Content-Length, ETag and Last-Modified", async () => {
    const r = await get("/big.bin");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/octet-stream");
    assert.equal(r.headers.get("content-length"), String(BIG.length));
    assert.equal(r.headers.get("last-modified"), MTIME.toUTCString());
    assert.equal(r.headers.get("etag"), `"${(MTIME.getTime() / 1000).toString(16)}-${BIG.length.toString(16)}"`);
    assert.equal(r.headers.get("accept-ranges"), "bytes");
    assert.equal(sha1(new Uint8Array(await r.arrayBuffer())), sha1(BIG));
    const html = await get("/page.html");
    assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(await html.text(), "<!doctype html><title>x</title>");
    assert.equal((await get("/app.js")).headers.get("content-type"), "text/javascript; charset=utf-8");
    const css = await get("/style.css");
    assert.equal(css.headers.get("cache-control"), "max-age=604800");
    await css.body?.cancel();
    const empty = await get("/empty.txt");
    assert.equal(empty.headers.get("content-length"), "0");
    assert.equal(await empty.text(), "");
  });

  it("streams a file over 1 MiB from its descriptor (with Content-Length, except on Bun, whose server drops it for streams)", async () => {
    const r = await get("/huge.bin");
    assert.equal(r.headers.get("content-length"), runtime === "bun" ? null : String(HUGE.length));
    assert.equal(sha1(new Uint8Array(await r.arrayBuffer())), sha1(HUGE));
    const part = await get("/huge.bin", { range: "bytes=1000000-2999999" });
    assert.equal(part.status, 206);
    assert.equal(sha1(new Uint8Array(await part.arrayBuffer())), sha1(HUGE.subarray(1_000_000)));
  });

  it("is not compressed by any runtime: a compressible body arrives as the file's bytes, validators strong", async () => {
    const r = await fetch(server.url + "/text.txt", { headers: { "accept-encoding": "gzip, deflate, br" } });
    assert.equal(r.headers.get("content-encoding"), null);
    assert.equal(r.headers.get("content-length"), String(TEXT.length));
    assert.ok(!r.headers.get("etag")!.startsWith("W/"));
    assert.equal(await r.text(), TEXT);
  });

  it("HEAD: the GET's headers without a body; other methods 405 with Allow", async () => {
    const head = await get("/big.bin", {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(BIG.length));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const post = await get("/big.bin", {}, "POST");
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
  });

  it("304 for a matching If-None-Match or an If-Modified-Since at or after the file's time; 412 for If-Match and If-Unmodified-Since", async () => {
    const etag = (await get("/big.bin", {}, "HEAD")).headers.get("etag")!;
    const cases: Array<[Record<string, string>, number]> = [
      [{ "if-none-match": etag }, 304],
      [{ "if-none-match": `W/${etag}` }, 304], // weak comparison
      [{ "if-none-match": '"other", ' + etag }, 304],
      [{ "if-none-match": '"other"' }, 200],
      [{ "if-none-match": "*" }, 304],
      [{ "if-modified-since": MTIME.toUTCString() }, 304],
      [{ "if-modified-since": new Date(MTIME.getTime() + 3600_000).toUTCString() }, 304], // RFC 9110: at or after
      [{ "if-modified-since": new Date(MTIME.getTime() - 1000).toUTCString() }, 200],
      [{ "if-modified-since": "yesterday" }, 200],
      [{ "if-none-match": '"other"', "if-modified-since": MTIME.toUTCString() }, 200], // INM wins
      [{ "if-match": etag }, 200],
      [{ "if-match": '"other"' }, 412],
      [{ "if-match": `W/${etag}` }, 412], // strong comparison
      [{ "if-unmodified-since": new Date(MTIME.getTime() - 1000).toUTCString() }, 412],
      [{ "if-unmodified-since": MTIME.toUTCString() }, 200],
    ];
    for (const [headers, status] of cases) {
      const r = await get("/big.bin", headers);
      assert.equal(r.status, status, JSON.stringify(headers));
      if (status === 304) assert.equal(r.headers.get("etag"), etag);
      await r.arrayBuffer();
    }
  });

  it("Range: one range is a 206 with Content-Range, several a multipart/byteranges, none satisfiable a 416", async () => {
    const one = await get("/big.bin", { range: "bytes=10-19" });
    assert.equal(one.status, 206);
    assert.equal(one.headers.get("content-range"), `bytes 10-19/${BIG.length}`);
    assert.deepEqual(new Uint8Array(await one.arrayBuffer()), BIG.subarray(10, 20));
    const suffix = await get("/big.bin", { range: "bytes=-5" });
    assert.equal(suffix.headers.get("content-range"), `bytes ${BIG.length - 5}-${BIG.length - 1}/${BIG.length}`);
    assert.deepEqual(new Uint8Array(await suffix.arrayBuffer()), BIG.subarray(BIG.length - 5));
    const large = await get("/big.bin", { range: "bytes=100000-" });
    assert.equal(large.headers.get("content-length"), String(BIG.length - 100000));
    assert.equal(sha1(new Uint8Array(await large.arrayBuffer())), sha1(BIG.subarray(100000)));
    const multi = await get("/big.bin", { range: "bytes=0-1,5-6" });
    assert.equal(multi.status, 206);
    const type = multi.headers.get("content-type")!;
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)![1]!;
    const body = Buffer.from(await multi.arrayBuffer()).toString("latin1");
    assert.equal(multi.headers.get("content-length"), String(body.length));
    const bytes = (a: number, b: number) => Buffer.from(BIG.subarray(a, b)).toString("latin1");
    assert.equal(body, `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-1/${BIG.length}\r\n\r\n${bytes(0, 2)}` +
      `\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 5-6/${BIG.length}\r\n\r\n${bytes(5, 7)}\r\n--${boundary}--\r\n`);
    const none = await get("/big.bin", { range: `bytes=${BIG.length}-` });
    assert.equal(none.status, 416);
    assert.equal(none.headers.get("content-range"), `bytes */${BIG.length}`);
    await none.arrayBuffer();
    const bad = await get("/big.bin", { range: "bytes=abc" });
    assert.equal(bad.status, 200);
    await bad.arrayBuffer();
    const etag = (await get("/big.bin", {}, "HEAD")).headers.get("etag")!;
    const ifRange = await get("/big.bin", { range: "bytes=0-0", "if-range": etag });
    assert.equal(ifRange.status, 206);
    await ifRange.arrayBuffer();
    const stale = await get("/big.bin", { range: "bytes=0-0", "if-range": '"old"' });
    assert.equal(stale.status, 200);
    await stale.arrayBuffer();
  });

  it("serves a precompressed sidecar to a client that accepts it, with its own ETag, and says Vary: Accept-Encoding either way", async () => {
    const plain = await get("/app.js", { "accept-encoding": "identity" }); // fetch asks for gzip by itself
    const gz = await fetch(server.url + "/app.js", { headers: { "accept-encoding": "gzip" } });
    assert.equal(plain.headers.get("vary"), "Accept-Encoding");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.equal(await plain.text(), "console.log(1)\n".repeat(100));
    assert.equal(gz.headers.get("vary"), "Accept-Encoding");
    assert.notEqual(gz.headers.get("etag"), plain.headers.get("etag"));
    assert.equal(await gz.text(), "console.log(1)\n".repeat(100)); // fetch decodes gzip
    const refused = await fetch(server.url + "/app.js", { headers: { "accept-encoding": "gzip;q=0" } });
    assert.equal(refused.headers.get("content-encoding"), null);
    await refused.arrayBuffer();
    const css = await get("/style.css", { "accept-encoding": "gzip" });
    assert.equal(css.headers.get("vary"), null); // no sidecar, no Vary
    await css.arrayBuffer();
  });

  it("an unknown extension is application/octet-stream; no directory listing", async () => {
    const r = await get("/data.unknownext");
    assert.equal(r.headers.get("content-type"), "application/octet-stream");
    await r.arrayBuffer();
    const listing = await get("/");
    assert.equal(listing.status, 404);
    await listing.arrayBuffer();
  });

  it("a file that shrinks while it is sent ends in a failed body, never in a short clean response", async () => {
    const r = await get("/shrinks.bin");
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    await reader.read();
    truncateSync(join(dir, "shrinks.bin"), 1000);
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    });
  });
});

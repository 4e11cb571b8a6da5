// Conditional and Range requests on static files, side by side: nginx (`etag on; if_modified_since before;
// max_ranges 16`) and a proxy-fcgi site serve the same files, and each of the requests below must get the same
// status, Content-Range, Content-Length, validators and bytes from both (multipart bodies compared without their
// boundary). Both send ETag as "mtime-size" in hex, so validators are compared as they are.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { realpathSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { removeDir } from "../helpers/fixtures.ts";
import { runtime, serveGateway, testSite, type TestGateway } from "../helpers/harness.ts";
import { nginxMissing, startNginxWordPress, type NginxWordPress } from "../helpers/nginx-wordpress.ts";
import { makeTree } from "../helpers/site-tree.ts";
import type { RunningServer } from "../../src/adapters/types.ts";

const MTIME = new Date("2024-01-02T03:04:05Z");
const BIN = new Uint8Array(10_000).map((_, i) => (i * 31) % 256);
const ETAG = `"${(MTIME.getTime() / 1000).toString(16)}-${BIN.length.toString(16)}"`;
const LM = MTIME.toUTCString();
const date = (deltaS: number) => new Date(MTIME.getTime() + deltaS * 1000).toUTCString();

/** [path, headers, method] */
const CASES: Array<[string, Record<string, string>, string?]> = [
  ["/a.bin", {}],
  ["/a.bin", {}, "HEAD"],
  ["/a.bin", { "if-none-match": ETAG }],
  ["/a.bin", { "if-none-match": `W/${ETAG}` }],
  ["/a.bin", { "if-none-match": '"nope"' }],
  ["/a.bin", { "if-none-match": `"nope", ${ETAG}` }],
  ["/a.bin", { "if-none-match": "*" }],
  ["/a.bin", { "if-modified-since": LM }],
  ["/a.bin", { "if-modified-since": date(3600) }],
  ["/a.bin", { "if-modified-since": date(-1) }],
  ["/a.bin", { "if-modified-since": "not a date" }],
  ["/a.bin", { "if-none-match": '"nope"', "if-modified-since": LM }],
  ["/a.bin", { "if-match": ETAG }],
  ["/a.bin", { "if-match": '"nope"' }],
  ["/a.bin", { "if-match": "*" }],
  ["/a.bin", { "if-unmodified-since": date(-1) }],
  ["/a.bin", { "if-unmodified-since": LM }],
  ["/a.bin", { range: "bytes=0-99" }],
  ["/a.bin", { range: "bytes=-100" }],
  ["/a.bin", { range: "bytes=9990-" }],
  ["/a.bin", { range: "bytes=0-0" }],
  ["/a.bin", { range: "bytes=9999-20000" }],
  ["/a.bin", { range: "bytes=10000-" }],
  ["/a.bin", { range: "bytes=99999-" }],
  ["/a.bin", { range: "bytes=0-9,20-29" }],
  ["/a.bin", { range: "bytes=0-9,20-29,100-199" }],
  ["/a.bin", { range: "bytes=abc" }],
  ["/a.bin", { range: "items=0-1" }],
  ["/a.bin", { range: "bytes=5-1" }],
  ["/a.bin", { range: "bytes=0-99" }, "HEAD"],
  ["/a.bin", { range: "bytes=0-99", "if-range": ETAG }],
  ["/a.bin", { range: "bytes=0-99", "if-range": '"nope"' }],
  ["/a.bin", { range: "bytes=0-99", "if-range": LM }],
  ["/a.bin", { range: "bytes=0-99", "if-range": date(-10) }],
  ["/a.bin", { range: "bytes=0-99", "if-none-match": ETAG }],
  ["/a.bin", { range: "bytes=0-99", "if-match": '"nope"' }],
  ["/t.txt", { range: "bytes=2-4" }],
  ["/t.txt", { "if-modified-since": LM }],
];

interface Seen {
  status: number;
  contentRange: string | null;
  contentLength: string | null;
  etag: string | null;
  lastModified: string | null;
  body: string;
}

async function observe(base: string, [path, headers, method]: (typeof CASES)[number]): Promise<Seen> {
  const r = await fetch(base + path, { method: method ?? "GET", headers: { "accept-encoding": "identity", ...headers } });
  const bytes = Buffer.from(await r.arrayBuffer());
  const type = r.headers.get("content-type") ?? "";
  const boundary = /boundary=(\S+)/.exec(type)?.[1];
  // A multipart body: its parts' Content-Range lines and bytes, without the boundary (each server picks its own).
  const text = boundary ? bytes.toString("latin1").split(boundary).join("B") : createHash("sha1").update(bytes).digest("hex");
  return {
    status: r.status,
    contentRange: r.headers.get("content-range"),
    // Error pages are each server's own text: only their status and Content-Range are compared.
    contentLength: boundary || r.status >= 400 ? null : r.headers.get("content-length"),
    etag: r.status === 412 || r.status === 416 ? null : r.headers.get("etag"),
    lastModified: r.status === 412 || r.status === 416 ? null : r.headers.get("last-modified"),
    body: r.status >= 400 ? "" : boundary ? multipartShape(text) : text,
  };
}

/** A multipart body as its parts' Content-Range values and the bytes' digest, in order (header order varies). */
function multipartShape(text: string): string {
  return text.split("--B").filter((p) => p.includes("\r\n\r\n")).map((part) => {
    const [head, ...rest] = part.split("\r\n\r\n");
    const range = /Content-Range: (\S+ \S+)/i.exec(head!)?.[1];
    const data = rest.join("\r\n\r\n").replace(/\r\n$/, "");
    return `${range} ${createHash("sha1").update(data, "latin1").digest("hex")}`;
  }).join("; ");
}

/**
 * Where proxy-fcgi answers otherwise than nginx, on purpose: the request → our status, and why.
 * RFC 9110 §14.2: a server MAY ignore a Range it cannot parse, and Range is defined only for GET.
 */
const DELIBERATE: Record<string, { status: number; why: string }> = {
  'GET /a.bin {"range":"bytes=abc"}': { status: 200, why: "an invalid Range is ignored (RFC 9110 §14.2, as Caddy/Go); nginx answers 416" },
  'GET /a.bin {"range":"bytes=5-1"}': { status: 200, why: "an invalid range-spec makes the header invalid, so it is ignored (§14.1.1); nginx answers 416" },
  'HEAD /a.bin {"range":"bytes=0-99"}': { status: 200, why: "Range is defined for GET only (§14.2); nginx answers HEAD with 206" },
};

describeWithBackend(`static files: proxy-fcgi (${runtime}) answers conditional and Range requests as nginx does`, nginxMissing(), () => {
  let dir = "";
  let nginx: NginxWordPress;
  let gw: TestGateway;
  let server: RunningServer & { url: string };

  before(async () => {
    dir = realpathSync(makeTree("vsnginx", { "a.bin": BIN, "t.txt": "0123456789" }));
    for (const f of ["a.bin", "t.txt"]) utimesSync(join(dir, f), MTIME, MTIME);
    nginx = await startNginxWordPress({ root: dir });
    gw = testSite([`/ ${dir} none`]);
    server = await serveGateway(gw.gateway);
  });

  after(async () => {
    await server?.close();
    await gw?.close();
    await nginx?.close();
    removeDir(dir);
  });

  it(`the same answer to each of ${CASES.length} requests`, async () => {
    const differ: string[] = [];
    for (const c of CASES) {
      const [ours, theirs] = [await observe(server.url, c), await observe(nginx.url, c)];
      const key = `${c[2] ?? "GET"} ${c[0]} ${JSON.stringify(c[1])}`;
      const deliberate = DELIBERATE[key];
      if (deliberate !== undefined) {
        assert.equal(ours.status, deliberate.status, `${key}: ${deliberate.why}`);
        assert.notEqual(theirs.status, deliberate.status, `${key}: nginx now agrees; drop it from DELIBERATE`);
        continue;
      }
      try {
        assert.deepEqual(ours, theirs);
      } catch {
        differ.push(`${c[2] ?? "GET"} ${c[0]} ${JSON.stringify(c[1])}: proxy-fcgi ${JSON.stringify(ours)} nginx ${JSON.stringify(theirs)}`);
      }
    }
    assert.deepEqual(differ, []);
  });
});

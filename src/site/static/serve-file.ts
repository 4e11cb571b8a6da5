// A static file's response: method check, precompressed sidecar, validators, preconditions (304/412), Range
// (206/416, multipart/byteranges), Content-Type and Cache-Control, and the body from the open descriptor.
import type { HeaderReader } from "../../cgi/header-reader.ts";
import type { OpenFile, SiteFiles } from "../../platform/types.ts";
import { globMatches } from "../glob.ts";
import type { SiteConfig, SiteReply } from "../types.ts";
import { fileBody } from "./file-body.ts";
import { mimeOf } from "./mime.ts";
import { multipartLayout, multipartPieces } from "./multipart.ts";
import { choosePrecompressed } from "./precompressed.ts";
import { evaluatePreconditions } from "./preconditions.ts";
import { planRanges } from "./range.ts";
import { etagOf, lastModifiedOf } from "./validators.ts";

/** What serveFile needs of the request. */
export interface StaticRequest {
  readonly method: string;
  readonly headers: HeaderReader;
}

const EMPTY = new Uint8Array(0);

/** The response for `file` (at `name` on disk, confined to `root`). Always closes the file, now or when the body ends. */
export async function serveFile(req: StaticRequest, file: OpenFile, name: string, root: string, site: SiteConfig, files: SiteFiles): Promise<SiteReply> {
  const method = req.method;
  if (method !== "GET" && method !== "HEAD") {
    await file.close();
    return { status: 405, headers: [["allow", "GET, HEAD"], ["content-type", "text/plain; charset=utf-8"]], body: new TextEncoder().encode("405 Method Not Allowed\n") };
  }
  const chosen = site.precompressed ? await choosePrecompressed(file, name, root, req.headers, files) : { file, coding: null, vary: false };
  const f = chosen.file;
  const stat = f.stat;
  const etag = etagOf(stat);
  const lastModified = lastModifiedOf(stat);
  const headers: Array<[string, string]> = [["etag", etag], ["last-modified", lastModified]];
  const cacheControl = maxAgeFor(name, site);
  if (cacheControl !== null) headers.push(["cache-control", cacheControl]);
  if (chosen.vary) headers.push(["vary", "Accept-Encoding"]);
  const pre = evaluatePreconditions(req.headers, method, etag, Math.floor(stat.mtimeMs / 1000));
  if (pre !== "proceed") {
    await f.close();
    return { status: pre, headers, body: null };
  }
  const type = mimeOf(name).contentType;
  if (chosen.coding !== null) headers.push(["content-encoding", chosen.coding]);
  headers.push(["accept-ranges", "bytes"]);
  const size = stat.size;
  const plan = method === "GET" ? planRanges(req.headers, size, etag, lastModified) : { kind: "full" as const };
  if (plan.kind === "unsatisfiable") {
    await f.close();
    headers.push(["content-range", `bytes */${size}`], ["content-type", "text/plain; charset=utf-8"]);
    return { status: 416, headers, body: new TextEncoder().encode("416 Range Not Satisfiable\n") };
  }
  if (plan.kind === "partial" && plan.ranges.length === 1) {
    const r = plan.ranges[0]!;
    const length = r.end - r.start + 1;
    headers.push(["content-type", type], ["content-range", `bytes ${r.start}-${r.end}/${size}`], ["content-length", String(length)]);
    return { status: 206, headers, body: await fileBody(f, name, [r], length) };
  }
  if (plan.kind === "partial") {
    const layout = multipartLayout(plan.ranges, size, type);
    headers.push(["content-type", `multipart/byteranges; boundary=${layout.boundary}`], ["content-length", String(layout.length)]);
    return { status: 206, headers, body: await fileBody(f, name, multipartPieces(layout, plan.ranges), layout.length) };
  }
  headers.push(["content-type", type], ["content-length", String(size)]);
  if (method === "HEAD" || size === 0) {
    await f.close();
    return { status: 200, headers, body: method === "HEAD" ? null : EMPTY };
  }
  return { status: 200, headers, body: await fileBody(f, name, [{ start: 0, end: size - 1 }], size) };
}

/** `Cache-Control: max-age=N` from the first `expires` rule whose glob matches the file's name. */
function maxAgeFor(name: string, site: SiteConfig): string | null {
  if (site.expires.length === 0) return null;
  const base = name.slice(name.lastIndexOf("/") + 1);
  for (const rule of site.expires) if (globMatches(rule.glob, base)) return `max-age=${rule.maxAgeS}`;
  return null;
}

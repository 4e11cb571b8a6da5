// Conditional requests on a static file, evaluated in RFC 9110 §13.2.2's order: If-Match, else
// If-Unmodified-Since; then If-None-Match, else If-Modified-Since (GET and HEAD only). Dates compare in whole
// seconds; If-Modified-Since matches a date at or after the file's time (§13.1.3), not only the exact one
// (nginx's default `if_modified_since exact`).
import type { HeaderReader } from "../../cgi/header-reader.ts";
import { parseHttpDate } from "./validators.ts";

/** What the preconditions decide: go on (200/206), 304, or 412. */
export type Precondition = "proceed" | 304 | 412;

/** `etag` is strong (as every ETag of ours is); `mtimeS` the file's time in whole seconds. */
export function evaluatePreconditions(headers: HeaderReader, method: string, etag: string, mtimeS: number): Precondition {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (!matchesAny(ifMatch, etag, true)) return 412;
  } else {
    const ius = headers.get("if-unmodified-since");
    if (ius !== null) {
      const t = parseHttpDate(ius);
      if (!Number.isNaN(t) && mtimeS > Math.floor(t / 1000)) return 412;
    }
  }
  const getOrHead = method === "GET" || method === "HEAD";
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (matchesAny(ifNoneMatch, etag, false)) return getOrHead ? 304 : 412;
  } else if (getOrHead) {
    const ims = headers.get("if-modified-since");
    if (ims !== null) {
      const t = parseHttpDate(ims);
      if (!Number.isNaN(t) && mtimeS <= Math.floor(t / 1000)) return 304;
    }
  }
  return "proceed";
}

/**
 * Does a list of entity-tags (or `*`) match `etag`? Strong comparison (If-Match, If-Range) needs both tags
 * strong and equal; weak comparison (If-None-Match) ignores the W/ prefix (§8.8.3.2).
 */
export function matchesAny(list: string, etag: string, strong: boolean): boolean {
  const trimmed = list.trim();
  if (trimmed === "*") return true;
  for (const m of trimmed.matchAll(/\s*(W\/)?("[^"]*")\s*(?:,|$)/g)) {
    if (m[1] !== undefined && strong) continue;
    if (m[2] === etag) return true;
  }
  return false;
}

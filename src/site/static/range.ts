// Byte ranges of a static file (RFC 9110 §14): the Range header parsed against the file's size, with If-Range.
// A Range that is not `bytes=` or is malformed is ignored (a 200 with the whole file, §14.2), as is one with
// more ranges than MAX_RANGES (nginx's max_ranges: a cheap defence against many-range amplification).
import type { HeaderReader } from "../../cgi/header-reader.ts";
import { parseHttpDate } from "./validators.ts";
import { matchesAny } from "./preconditions.ts";

/** Inclusive first and last byte. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What to send: everything, some ranges (206), or nothing satisfiable (416). */
export type RangePlan =
  | { readonly kind: "full" }
  | { readonly kind: "partial"; readonly ranges: readonly ByteRange[] }
  | { readonly kind: "unsatisfiable" };

/** More ranges than this in one request and the whole file is sent instead. */
export const MAX_RANGES = 16;

const FULL: RangePlan = { kind: "full" };

/** The plan for a GET of a file of `size` bytes with validators `etag` and `lastModified` (an HTTP-date). */
export function planRanges(headers: HeaderReader, size: number, etag: string, lastModified: string): RangePlan {
  const range = headers.get("range");
  if (range === null) return FULL;
  const ifRange = headers.get("if-range");
  if (ifRange !== null && !ifRangeHolds(ifRange.trim(), etag, lastModified)) return FULL;
  const m = /^bytes=(.*)$/i.exec(range.trim());
  if (m === null) return FULL;
  const specs = m[1]!.split(",");
  if (specs.length > MAX_RANGES) return FULL;
  const ranges: ByteRange[] = [];
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === "") continue; // RFC 9110 §5.6.1: empty list elements are allowed
    const r = /^(\d*)-(\d*)$/.exec(spec);
    if (r === null || (r[1] === "" && r[2] === "")) return FULL;
    if (r[1] === "") {
      // suffix-range: the last N bytes
      const n = Number(r[2]);
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(r[1]);
    if (r[2] !== "" && Number(r[2]) < start) return FULL; // an invalid range-spec makes the whole header invalid (§14.1.1)
    if (start < size) ranges.push({ start, end: r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1) });
  }
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  return { kind: "partial", ranges };
}

/** If-Range (§13.1.5): an entity-tag must match strongly; a date must equal Last-Modified exactly. */
function ifRangeHolds(value: string, etag: string, lastModified: string): boolean {
  if (value.startsWith('"') || value.startsWith("W/")) return matchesAny(value, etag, true);
  const t = parseHttpDate(value);
  return !Number.isNaN(t) && t === Date.parse(lastModified);
}

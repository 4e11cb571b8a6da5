// A static file's validators (RFC 9110 §8.8): Last-Modified from its mtime, and a strong ETag made of mtime
// and size in hex, the form nginx sends (`"5f1c2b3a-2710"`), so caches primed by nginx keep validating.
import type { FileStat } from "../../platform/types.ts";

/** The ETag of a file (a precompressed sidecar has its own: its own mtime and size). */
export function etagOf(stat: FileStat): string {
  return `"${Math.floor(stat.mtimeMs / 1000).toString(16)}-${stat.size.toString(16)}"`;
}

/** IMF-fixdate of the file's mtime, whole seconds (RFC 9110 §5.6.7). */
export function lastModifiedOf(stat: FileStat): string {
  return new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toUTCString();
}

/** An HTTP-date (any of RFC 9110's three forms, as Date.parse reads them) → ms, or NaN when invalid. */
export function parseHttpDate(text: string): number {
  // Date.parse accepts much that is no HTTP-date ("2024", "tomorrow" on some engines); require a weekday or
  // month name and a time, as all three forms have.
  if (!/^[A-Za-z]{3,9}, |^[A-Za-z]{3} [A-Za-z]{3} /.test(text) || !/\d\d:\d\d:\d\d/.test(text)) return NaN;
  const ms = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  return ms;
}

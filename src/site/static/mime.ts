// Content-Type of a static file by its extension, from the MIME database (mime-db: data only, the project's
// one runtime dependency). Built once on first use; text types get `charset=utf-8`, as do types the database
// marks UTF-8 (JavaScript, JSON).
import db from "mime-db";

/** What a file extension maps to. */
export interface MimeEntry {
  /** The full header value, charset included. */
  readonly contentType: string;
  /** The database's `compressible` flag (issue X's compression reads it). */
  readonly compressible: boolean;
}

/** Sent for an unknown extension (RFC 9110 §8.3: a recipient may sniff, or treat it as this). */
export const DEFAULT_TYPE: MimeEntry = { contentType: "application/octet-stream", compressible: false };

/** When two types claim an extension, the one from the later source wins (the `mime-types` package's rule). */
const SOURCE_RANK: Readonly<Record<string, number>> = { nginx: 1, apache: 2, iana: 4 };
const rank = (source: string | undefined) => (source === undefined ? 3 : SOURCE_RANK[source] ?? 0);

let table: Map<string, MimeEntry> | undefined;

function build(): Map<string, MimeEntry> {
  const best = new Map<string, { type: string; rank: number }>();
  for (const [type, entry] of Object.entries(db)) {
    for (const ext of entry.extensions ?? []) {
      const known = best.get(ext);
      const r = rank(entry.source);
      if (known === undefined || (r > known.rank && !(known.type !== "application/octet-stream" && type === "application/octet-stream"))) {
        best.set(ext, { type, rank: r });
      }
    }
  }
  const out = new Map<string, MimeEntry>();
  for (const [ext, { type }] of best) {
    const entry = db[type]!;
    const utf8 = type.startsWith("text/") || entry.charset?.toUpperCase() === "UTF-8";
    out.set(ext, { contentType: utf8 ? `${type}; charset=utf-8` : type, compressible: entry.compressible === true });
  }
  return out;
}

/** The type of the file at `path` (its last extension, ASCII letters folded), or DEFAULT_TYPE. */
export function mimeOf(path: string): MimeEntry {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return DEFAULT_TYPE;
  table ??= build();
  return table.get(path.slice(dot + 1).toLowerCase()) ?? DEFAULT_TYPE;
}

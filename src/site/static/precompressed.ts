// Precompressed sidecars next to a static file (`app.js.br`, `.zst`, `.gz`: Caddy's `precompressed`, nginx's
// gzip_static), chosen by the request's Accept-Encoding. Each sidecar is its own representation, with its own
// ETag and length; every response for a file that has sidecars says `Vary: Accept-Encoding`.
import type { HeaderReader } from "../../cgi/header-reader.ts";
import type { OpenFile, SiteFiles } from "../../platform/types.ts";
import { confinedOpen } from "../confine.ts";

/** The sidecars looked for, in the server's order of preference (Caddy's default: br zstd gzip). */
const SIDECARS: ReadonlyArray<{ readonly coding: string; readonly suffix: string }> = [
  { coding: "br", suffix: ".br" },
  { coding: "zstd", suffix: ".zst" },
  { coding: "gzip", suffix: ".gz" },
];

/** The representation to send: a sidecar (with its coding) or the file itself; `vary` when any sidecar exists. */
export interface Chosen {
  readonly file: OpenFile;
  readonly coding: string | null;
  readonly vary: boolean;
}

/** Picks the sidecar the client accepts best, else the file; closes whichever file is not sent. */
export async function choosePrecompressed(file: OpenFile, name: string, root: string, headers: HeaderReader, files: SiteFiles): Promise<Chosen> {
  let vary = false;
  let best: { coding: string; q: number; index: number } | null = null;
  const accepted = acceptedCodings(headers.get("accept-encoding"));
  for (let i = 0; i < SIDECARS.length; i++) {
    const { coding, suffix } = SIDECARS[i]!;
    const s = await files.stat(name + suffix);
    if (s?.kind !== "file") continue;
    vary = true;
    const q = accepted.get(coding) ?? accepted.get("*") ?? 0;
    if (q > 0 && (best === null || q > best.q)) best = { coding, q, index: i };
  }
  if (best !== null) {
    const sidecar = await confinedOpen(files, name + SIDECARS[best.index]!.suffix, root);
    if (sidecar !== null) {
      await file.close();
      return { file: sidecar, coding: best.coding, vary };
    }
  }
  return { file, coding: null, vary };
}

/** Accept-Encoding → coding (lower case) → q (RFC 9110 §12.5.3); a missing q is 1. */
export function acceptedCodings(header: string | null): Map<string, number> {
  const out = new Map<string, number>();
  if (header === null) return out;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.split(";");
    const name = coding!.trim().toLowerCase();
    if (name === "") continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isNaN(q)) out.set(name, q);
  }
  return out;
}

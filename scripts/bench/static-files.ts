// The files of the static scenarios: written once into the run's temp dir, served by every proxy from disk
// under STATIC_PREFIX (nginx with sendfile, Apache with EnableSendfile, proxy-fcgi with a BACKEND-none site).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The URL prefix every proxy serves the static root under, with its trailing slash. */
export const STATIC_PREFIX = "/static/";

/** Name and size of each file the static scenarios fetch. */
export const STATIC_FILES = [
  { name: "4k.bin", bytes: 4096 },
  { name: "1m.bin", bytes: 1024 * 1024 },
] as const;

/** Writes the files into `dir`/static (world-readable: nginx's and Apache's workers run as www-data) and returns that dir. */
export function writeStaticFiles(dir: string): string {
  const root = join(dir, "static");
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const f of STATIC_FILES) {
    const body = new Uint8Array(f.bytes);
    for (let i = 0; i < body.length; i++) body[i] = 0x61 + (i % 26);
    writeFileSync(join(root, f.name), body, { mode: 0o644 });
  }
  return root;
}

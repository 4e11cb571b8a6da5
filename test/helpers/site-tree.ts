// Temporary document roots for the site tests: a tree of files, directories and symlinks written from a plain
// object, removed by the caller (removeDir).
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeTempDir } from "./fixtures.ts";

/** A file's content, or a symlink to `link` (absolute, or relative to the link's directory). */
export type TreeEntry = string | Uint8Array | { readonly link: string };

/** Writes `entries` (path → content; a path ending in "/" is an empty directory) under `dir`. */
export function writeTree(dir: string, entries: Readonly<Record<string, TreeEntry>>): void {
  for (const [rel, entry] of Object.entries(entries)) {
    const path = join(dir, rel);
    if (rel.endsWith("/")) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    if (typeof entry === "object" && !(entry instanceof Uint8Array)) symlinkSync(entry.link, path);
    else writeFileSync(path, entry);
  }
}

/** A new temp dir holding `entries`; its real path (the tests compare resolved paths). */
export function makeTree(prefix: string, entries: Readonly<Record<string, TreeEntry>>): string {
  const dir = makeTempDir(prefix);
  writeTree(dir, entries);
  return dir;
}

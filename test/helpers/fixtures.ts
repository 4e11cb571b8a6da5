// Temp directories for real backends and the fixture scripts copied into them. Copies, not the checkout
// itself: the docroot path stays short and free of spaces, and the exec bit does not depend on git.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of test/fixtures/<name> or a file in it. */
export function fixturePath(...parts: string[]): string {
  return join(fileURLToPath(new URL("../fixtures/", import.meta.url)), ...parts);
}

/** Absolute path of a file under test/backends/. */
export function backendSourcePath(file: string): string {
  return fileURLToPath(new URL(`../backends/${file}`, import.meta.url));
}

/** A fresh private directory under the OS temp dir (kept short: Unix socket paths max out near 104 bytes). */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pfcgi-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Copies the files of test/fixtures/<name>/ into `dest` (created), with `mode` on each. */
export function copyFixtures(name: string, dest: string, mode = 0o644): string {
  mkdirSync(dest, { recursive: true });
  const src = fixturePath(name);
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const to = join(dest, entry.name);
    copyFileSync(join(src, entry.name), to);
    chmodSync(to, mode);
  }
  return dest;
}

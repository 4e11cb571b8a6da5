// A document root (or alias directory) with its symlinks resolved, re-resolved at most once a second: a deploy
// that switches `current → releases/N` takes effect without a restart (Caddy's resolve_root_symlink, nginx's
// $realpath_root), and a request costs no realpath of the root.
import type { SiteFiles } from "../platform/types.ts";

/** How long a resolved root is trusted, ms. */
const RECHECK_MS = 1000;

export class RealRoot {
  readonly configured: string;
  #real: string | null = null;
  #checkedAt = -Infinity;
  #pending: Promise<string | null> | undefined;

  constructor(configured: string) {
    this.configured = configured.length > 1 && configured.endsWith("/") ? configured.slice(0, -1) : configured;
  }

  /** The resolved root, or null when it does not exist (every request under it is then a 404). */
  resolve(files: SiteFiles, now: number): string | null | Promise<string | null> {
    if (now - this.#checkedAt < RECHECK_MS) return this.#real;
    return (this.#pending ??= files.realpath(this.configured).then((real) => {
      this.#real = real;
      this.#checkedAt = Date.now();
      this.#pending = undefined;
      return real;
    }));
  }
}

/** Is `real` (a resolved path) `root` itself or under it? */
export function isWithin(real: string, root: string): boolean {
  if (root === "/") return true;
  return real === root || (real.startsWith(root) && real.charCodeAt(root.length) === 0x2f);
}

// Names a site never serves nor runs, whatever the request spells: dotfiles and dot-directories (but
// `/.well-known/`, RFC 8615), `.ht*` (Apache's `<Files ".ht*">` denial), PHP source under its other extensions,
// and the site's own `hide` globs. Every check is on the decoded path, with ASCII letters folded.
import { globMatches } from "./glob.ts";

/**
 * Extensions whose files are PHP source, never sent as static bytes (Debian's php8.2-fpm.conf runs
 * `.ph(ar|p|tml)` and denies `.phps`): a site without such a split extension 404s them instead.
 */
const SOURCE_EXTENSIONS = [".php", ".phps", ".phtml", ".pht", ".phar", ".php3", ".php4", ".php5", ".php7", ".php8", ".inc"];

/** Why `path` (decoded, starting with "/") is refused with 404, or null when it may be looked at. */
export function hiddenReason(path: string, hide: readonly string[]): string | null {
  const segments = path.split("/");
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.charCodeAt(0) !== 0x2e) continue;
    if (i === 1 && seg === ".well-known" && segments.length > 2) continue;
    return seg.length > 2 && (seg[1] === "h" || seg[1] === "H") && (seg[2] === "t" || seg[2] === "T")
      ? `${seg}: .ht* files are never served`
      : `${seg}: dotfiles are never served`;
  }
  const name = segments[segments.length - 1]!;
  for (const glob of hide) {
    if (glob.startsWith("/") ? globMatches(glob, path) : segments.some((s) => s !== "" && globMatches(glob, s))) {
      return `${glob}: hidden by the site's hide list`;
    }
  }
  if (name === "") return null;
  return null;
}

/** Is the last segment of `path` PHP source by its extension (ASCII letters folded)? */
export function isSourceName(path: string): boolean {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return false;
  const ext = asciiLower(path.slice(dot));
  return SOURCE_EXTENSIONS.includes(ext);
}

/** Lower-cases ASCII A-Z only. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

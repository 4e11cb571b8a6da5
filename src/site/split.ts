// Where a site path splits into the script and PATH_INFO: after the first segment that ends in a script
// extension (`.php`), as Caddy's split_path and nginx's `^(.+?\.php)(/.*)$` do.
//
// The match folds only ASCII letters (A-Z to a-z), byte for byte on the decoded path: FrankenPHP's advisories
// GHSA-3g8v-8r37-cgjm and GHSA-v4h7-cj44-8fc8 came from Unicode case folding, which changed the string's length
// so the split landed elsewhere and an upload ran as PHP. Here `ſ` or a fullwidth `Ｐ` never match.

/** The script part and the rest of `path` (the rest starts with "/" or is ""), or null when no segment ends in an extension. */
export function splitScript(path: string, extensions: readonly string[]): { script: string; info: string } | null {
  let best = -1;
  for (const ext of extensions) {
    for (let from = 1; ; ) {
      const at = indexOfAsciiFolded(path, ext, from);
      if (at < 0) break;
      const end = at + ext.length;
      // The extension must end the segment, and the name before it must not be empty (`/.php` is no script).
      if ((end === path.length || path.charCodeAt(end) === 0x2f) && path.charCodeAt(at - 1) !== 0x2f) {
        if (best < 0 || end < best) best = end;
        break;
      }
      from = at + 1;
    }
  }
  return best < 0 ? null : { script: path.slice(0, best), info: path.slice(best) };
}

/** Does the last segment of `path` end in one of `extensions` (ASCII letters folded)? */
export function hasScriptExtension(path: string, extensions: readonly string[]): boolean {
  for (const ext of extensions) {
    const at = path.length - ext.length;
    if (at > 0 && path.charCodeAt(at - 1) !== 0x2f && indexOfAsciiFolded(path, ext, at) === at) return true;
  }
  return false;
}

/** indexOf with ASCII A-Z folded to a-z in `s` (`lowerNeedle` is already lower case). */
function indexOfAsciiFolded(s: string, lowerNeedle: string, from: number): number {
  const n = lowerNeedle.length;
  outer: for (let i = from; i + n <= s.length; i++) {
    for (let j = 0; j < n; j++) {
      let c = s.charCodeAt(i + j);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== lowerNeedle.charCodeAt(j)) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * Does a route prefix match a (slash-collapsed) URL path? At a segment boundary: `/php` matches `/php` and
 * `/php/x` but not `/phpmyadmin`; `/php/` matches `/php/` and below. Shared by routing and the start-up check
 * for shadowed routes, so both agree.
 */
export function prefixMatches(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length || prefix.endsWith("/")) return true;
  return path.charCodeAt(prefix.length) === 0x2f; // "/"
}

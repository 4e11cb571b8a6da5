// Turns the request's URL path into the decoded path CGI variables are built from.
import { BadRequest, NotFound } from "../errors.ts";

/**
 * Collapses repeated slashes, then percent-decodes (UTF-8). Dot segments were already resolved by the URL
 * parser. An encoded slash is refused with 404, Apache's default (AllowEncodedSlashes Off); a malformed
 * escape or invalid UTF-8 with 400.
 */
export function decodeRequestPath(rawPath: string): string {
  const path = rawPath.includes("//") ? rawPath.replace(/\/{2,}/g, "/") : rawPath;
  if (!path.includes("%")) return path;
  if (/%2f/i.test(path)) throw new NotFound(`encoded slash in path ${truncate(path)}`);
  if (/%(?![0-9a-fA-F]{2})/.test(path)) throw new BadRequest(`malformed %-escape in path ${truncate(path)}`);
  try {
    return decodeURIComponent(path);
  } catch {
    throw new BadRequest(`path is not valid UTF-8 once decoded: ${truncate(path)}`);
  }
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

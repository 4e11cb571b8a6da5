// Turns the request's URL path into the decoded path CGI variables are built from.
import { BadRequest, NotFound } from "../errors.ts";

/**
 * Collapses repeated slashes, percent-decodes (UTF-8), then removes dot segments (Apache: ap_unescape_url,
 * then ap_getparents, so `%2e%2e` climbs too). An encoded slash or NUL is refused with 404, as Apache's
 * ap_unescape_url does (AllowEncodedSlashes Off); a malformed escape or invalid UTF-8 with 400.
 */
export function decodeRequestPath(rawPath: string): string {
  let path = rawPath.includes("//") ? rawPath.replace(/\/{2,}/g, "/") : rawPath;
  if (path.includes("%")) {
    if (/%2f|%00/i.test(path)) throw new NotFound(`encoded slash or NUL in path ${truncate(path)}`);
    if (/%(?![0-9a-fA-F]{2})/.test(path)) throw new BadRequest(`malformed %-escape in path ${truncate(path)}`);
    try {
      path = decodeURIComponent(path);
    } catch {
      throw new BadRequest(`path is not valid UTF-8 once decoded: ${truncate(path)}`);
    }
  }
  return path.includes("/.") ? removeDotSegments(path) : path;
}

/** RFC 3986 §5.2.4 on a path that starts with "/"; ".." never climbs above the root. */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split("/");
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === ".") {
      if (last) out.push("");
    } else if (seg === "..") {
      out.pop();
      if (last) out.push("");
    } else {
      out.push(seg);
    }
  }
  return "/" + out.join("/");
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

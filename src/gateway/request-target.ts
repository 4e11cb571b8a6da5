// The path and query of a request, as sent. Where the runtime gives the raw request-target (Node), that is
// used: the URL parser would turn "\\" into "/" and so route a path the client never sent. Otherwise the
// URL parser's path and query, as before; but a URL the parser would leave unchanged (the usual case) is
// cut at its delimiters instead of parsed (a URL parse per request showed in Deno's profile).
import type { ConnectionInfo } from "../connection-info.ts";
import { BadRequest } from "../errors.ts";

export interface RequestTarget {
  /** Still percent-encoded. */
  readonly path: string;
  /** Without the "?"; "" when there is none. */
  readonly query: string;
  /** Path and query as the client sent them, for REQUEST_URI. */
  readonly uri: string;
}

export function requestTarget(url: string, info: ConnectionInfo): RequestTarget | BadRequest {
  const raw = info.rawTarget;
  if (raw !== undefined && raw.startsWith("/")) {
    // A request-target has no fragment (RFC 9112 §3.2); Apache refuses one too.
    if (raw.includes("#")) return new BadRequest("fragment in the request-target");
    return split(raw, 0, raw.length, raw);
  }
  const start = url.startsWith("http://") ? url.indexOf("/", 7) : url.startsWith("https://") ? url.indexOf("/", 8) : -1;
  if (start > 0) {
    const hash = url.indexOf("#", start);
    const end = hash < 0 ? url.length : hash;
    const rest = url.slice(start, end);
    // (An empty query, "/a?", the parser drops: left to it as well.)
    if (UNCHANGED_BY_PARSER.test(rest) && !DOT_SEGMENT.test(rest) && !rest.endsWith("?")) return split(rest, 0, rest.length, raw);
  }
  // Bun gives a relative URL when the request had no usable Host: resolve it against the listener. Deno's
  // request.url holds the target's raw bytes, which the parser percent-encodes.
  let parsed: URL;
  try {
    parsed = new URL(url, `http://${info.localAddress || "localhost"}`);
  } catch {
    return new BadRequest(`unparsable request URL ${url.slice(0, 200)}`);
  }
  const uri = parsed.pathname + parsed.search;
  return { path: parsed.pathname, query: parsed.search.slice(1), uri: raw ?? uri };
}

/** Characters the WHATWG URL parser keeps as they are in an http(s) path and query. */
const UNCHANGED_BY_PARSER = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%[\]|]*$/;
/** "." and ".." segments (plain or as %2e), which the parser resolves. */
const DOT_SEGMENT = /%2e|\/\.\.?(?:[/?]|$)/i;

function split(s: string, start: number, end: number, raw: string | undefined): RequestTarget {
  const q = s.indexOf("?", start);
  const uri = raw ?? s.slice(start, end);
  if (q < 0 || q >= end) return { path: s.slice(start, end), query: "", uri };
  return { path: s.slice(start, q), query: s.slice(q + 1, end), uri };
}

/** The URL's host (with port), for a request handed over without connection info; "" when unparsable. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/** When the caller gives no connection info (plain `fetch(request)`), take what the URL says. */
export function infoFromUrl(url: string): ConnectionInfo {
  let port = 0;
  let host = "";
  let tls = false;
  try {
    const u = new URL(url);
    host = u.hostname;
    tls = u.protocol === "https:";
    port = u.port ? Number(u.port) : tls ? 443 : 80;
  } catch {
    // requestTarget() refuses such a URL with a 400
  }
  return { remoteAddress: "", localAddress: host, localPort: port, tls };
}

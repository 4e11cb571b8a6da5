// Request header name → CGI meta-variable name (RFC 3875 §4.1.18), with Apache's rules (util_script.c):
// `-` becomes `_`, and a name with any other non-alphanumeric character is dropped, so `X_Foo` cannot spoof
// `X-Foo`. Results are cached: the same few header names arrive on every request.

/** Headers that never become HTTP_* variables. */
const NEVER_PASSED = new Set([
  "content-type", // CONTENT_TYPE instead
  "content-length", // CONTENT_LENGTH instead
  "proxy", // httpoxy, CVE-2016-5387
  "proxy-authorization", // meant for the proxy itself
  "transfer-encoding", // the gateway frames STDIN with CONTENT_LENGTH
]);

const cache = new Map<string, string | null>();
const CACHE_LIMIT = 512; // bounded: header names are client-chosen

/** `user-agent` → `HTTP_USER_AGENT`; null when the header must not be passed. Takes lower-case names. */
export function headerVarName(lowerName: string): string | null {
  let v = cache.get(lowerName);
  if (v !== undefined) return v;
  v = NEVER_PASSED.has(lowerName) || !/^[a-z0-9-]+$/.test(lowerName)
    ? null
    : "HTTP_" + lowerName.toUpperCase().replaceAll("-", "_");
  if (cache.size < CACHE_LIMIT) cache.set(lowerName, v);
  return v;
}

// Differential conformance against Apache httpd's mod_proxy_fcgi: the same requests go to a private Apache
// and to proxy-fcgi (served by the runtime's real server), both in front of one echo backend that answers
// with the FastCGI params it received. Every variable either side sent is compared. The differences we keep
// on purpose are listed once, in DELIBERATE, each with its reason; the ones we believe are our bugs are in
// PENDING_FIXES. Anything else fails the test. APACHE_DIFF_VERBOSE=1 prints every difference seen.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { apacheUnavailable, startApache, type ApacheServer } from "../helpers/apache.ts";
import { runtime, serveGateway, startBackend, startUnixBackend, testGateway, type TestGateway } from "../helpers/harness.ts";
import { latin1Bytes, rawRequest, type RawResponse } from "../helpers/raw-http.ts";
import type { ResponderHandler, ResponderServer } from "../../src/fcgi-server/server.ts";
import type { RunningServer } from "../../src/adapters/types.ts";

type Runtime = typeof runtime;
type Params = Readonly<Record<string, string>>;

/** What a difference predicate gets to look at. */
interface Seen {
  readonly apache: Params;
  readonly ours: Params;
  readonly apachePort: number;
  readonly ourPort: number;
  readonly case: Case;
}

interface Difference {
  /** A CGI variable, or one of the pseudo-variables STATUS, THROWN, STDIN_LENGTH, STDIN_SHA1. */
  readonly variable: string;
  readonly why: string;
  /** Only on these runtimes (default: all). */
  readonly runtimes?: readonly Runtime[];
  /** Only for these case names (default: all). */
  readonly cases?: readonly string[];
  /** Is this pair of values the explained difference? Default: any pair. */
  readonly explains?: (apache: string | undefined, ours: string | undefined, seen: Seen) => boolean;
}

interface Case {
  readonly name: string;
  readonly target: string;
  readonly method?: string;
  /** `HTTP/1.1` unless given. */
  readonly version?: string;
  /** Host header value; null sends none. */
  readonly host?: string | null;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
}

/** Every request carries this Host unless its case says otherwise (the same for both servers). */
const HOST = "gw.test:8080";
const BASE = `http://${HOST}`;
const SHA1_OF_NOTHING = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

/** The HTTP status of the response. */
const STATUS = "(status)";
/** The exception that escaped gateway.fetch, if any (ours only). */
const THROWN = "(gateway threw)";
/** Length and SHA-1 of what the backend read on STDIN (compared when both answered 200). */
const STDIN_LENGTH = "(stdin length)";
const STDIN_SHA1 = "(stdin sha1)";

// ---------------------------------------------------------------------------------------------------------
// Deliberate differences: each with its reason. Anything not explained here or in PENDING_FIXES fails.
// ---------------------------------------------------------------------------------------------------------
const DELIBERATE: readonly Difference[] = [
  // What the server is and where it runs: not about the request.
  {
    variable: "SERVER_SOFTWARE",
    why: "names the server that built the environment: Apache's banner there, proxy-fcgi/<version> here",
    explains: (a, o) => a !== undefined && o !== undefined && o.startsWith("proxy-fcgi/"),
  },
  {
    variable: "PATH",
    why: "Apache passes its own process PATH to every backend (ap_add_common_vars); it describes the web server's host, not the request, and would leak ours",
    explains: (_a, o) => o === undefined,
  },
  {
    variable: "SERVER_SIGNATURE",
    why: "Apache's ServerSignature footer text (empty with the default ServerSignature Off); we have no such setting",
    explains: (_a, o) => o === undefined,
  },
  {
    variable: "SERVER_ADMIN",
    why: "Apache's ServerAdmin address ('[no address given]' when unset); we have no such setting",
    explains: (_a, o) => o === undefined,
  },
  {
    variable: "proxy-fcgi-pathinfo",
    why: "Apache sends its whole subprocess_env, including the SetEnvIf variable that selects the path-info mode; ours is the route key path-info=, not an environment variable",
    explains: (_a, o) => o === undefined,
  },
  {
    variable: "REMOTE_PORT",
    why: "each server sees its own client socket, so the client's ephemeral port differs",
    explains: (a, o) => /^\d+$/.test(a ?? "") && /^\d+$/.test(o ?? ""),
  },
  {
    variable: "SERVER_PORT",
    why: "with no port in Host (or no Host), both report the port they listen on (Apache: the port of ServerName, set to its Listen port here); the two servers listen on different ports",
    cases: ["Host without a port", "HTTP/1.0 without Host"],
    explains: (a, o, seen) => a === String(seen.apachePort) && o === String(seen.ourPort),
  },
  // Script paths: SCRIPT_FILENAME is a file name for us, never a URL.
  {
    variable: "SCRIPT_FILENAME",
    why: "a filesystem path, never percent-encoded by us; Apache re-encodes the backend path under ProxyPass (ap_proxy_canonenc_ex), which PHP-FPM < 8.5 does not decode (PR 69203, php-src#15246)",
    explains: (a, o) => a !== undefined && o !== undefined && unescape(a) === o,
  },
  {
    variable: "SCRIPT_FILENAME",
    why: "first-dot/last-dot: Apache leaves PATH_INFO inside SCRIPT_FILENAME (r->filename is built before the split); we cut it, as nginx's fastcgi_split_path_info does, so the backend is told the file to run (and, as above, we do not percent-encode)",
    cases: ["first-dot path info", "first-dot with a dotted directory", "first-dot with encoded path info", "last-dot path info", "last-dot with a dot in the path info"],
    explains: (a, o, seen) => a !== undefined && o !== undefined && unescape(a) === o + (seen.apache.PATH_INFO ?? "\0"),
  },
  {
    variable: STATUS,
    why: "we never percent-encode SCRIPT_FILENAME, so a decoded \"?\" in it would let PHP-FPM run another file (it cuts SCRIPT_FILENAME at \"?\": the Confusion Attacks %3F trick); under FPM we refuse with 403 where Apache forwards the re-encoded %3F",
    cases: ["encoded question mark"],
    explains: (a, o) => a === "200" && o === "403",
  },
  {
    variable: STATUS,
    why: "a control character in the decoded path: Apache forwards it %-encoded in SCRIPT_FILENAME and raw in SCRIPT_NAME; we never encode SCRIPT_FILENAME, so we refuse with 403 rather than hand the backend a file name with a newline or control byte",
    cases: ["encoded control character", "encoded newline"],
    explains: (a, o) => a === "200" && o === "403",
  },
  {
    variable: STATUS,
    why: "a path that is not UTF-8 once decoded: Apache passes the raw bytes on; we build CGI variables from decoded strings and refuse with 400 rather than send U+FFFD in SCRIPT_NAME (src/cgi/url-path.ts)",
    cases: ["invalid UTF-8 in the path"],
    explains: (a, o) => a === "200" && o === "400",
  },
  // Headers.
  {
    variable: "HTTP_AUTHORIZATION",
    why: "we pass Authorization by default (route key pass-authorization=on), since the application behind a gateway is what checks it; Apache drops it unless CGIPassAuth On (the /generic/ and /sock/ cases show the two settings agree when aligned)",
    cases: ["Authorization"],
    explains: (a, o) => a === undefined && o !== undefined,
  },
  {
    variable: "HTTP_PROXY_AUTHORIZATION",
    why: "Proxy-Authorization carries credentials for a proxy on the way (RFC 9110 §11.7.2), not for the application; Apache passes it with CGIPassAuth On, we never do, whatever pass-authorization says",
    cases: ["GENERIC with Proxy-Authorization (CGIPassAuth On)"],
    explains: (a, o) => a !== undefined && o === undefined,
  },
  {
    variable: "HTTP_COOKIE",
    why: "several Cookie header lines: Apache joins them with \", \" like any header; the runtime's Headers joins cookies with \"; \", the separator RFC 6265 §5.4 and RFC 9113 §8.2.3 prescribe (PHP splits HTTP_COOKIE on \";\", so Apache's join hands it a=\"1, b=2\")",
    cases: ["two Cookie headers"],
    explains: (a, o) => a !== undefined && o === a.replaceAll(", ", "; "),
  },
  {
    variable: "HTTP_MAX_FORWARDS",
    why: "mod_proxy treats every backend as an HTTP hop and decrements Max-Forwards (RFC 9110 §7.6.2); a FastCGI gateway and its application are one origin server (RFC 3875 §1.4), so we pass the header unchanged",
    cases: ["Max-Forwards"],
    explains: (a, o) => a !== undefined && o !== undefined && Number(a) === Number(o) - 1,
  },
  {
    variable: STATUS,
    why: "Max-Forwards: 0 on a GET: mod_proxy refuses to forward (400) as an HTTP proxy would; for us the backend is not a further hop (see HTTP_MAX_FORWARDS)",
    cases: ["Max-Forwards: 0"],
    explains: (a, o) => a === "400" && o === "200",
  },
  // Request bodies.
  {
    variable: "CONTENT_LENGTH",
    why: "a chunked body larger than Apache's 16 KB prefetch: Apache streams it without CONTENT_LENGTH unless proxy-sendcl is set, and PHP-FPM then ignores the body (php bug #60826); our default request-buffering=spool spools it and sends its length (request-buffering=stream matches Apache, see the /stream/ case)",
    cases: ["chunked POST larger than Apache's 16 KB prefetch"],
    explains: (a, o) => a === undefined && o === "40000",
  },
  {
    variable: "HTTP_TRANSFER_ENCODING",
    why: "Transfer-Encoding describes the client connection's framing (hop-by-hop, RFC 9112 §6.1), not what the backend gets: STDIN is always the decoded body. Apache passes it along when it streams a chunked body; we never do",
    cases: ["chunked POST larger than Apache's 16 KB prefetch", "chunked POST, streamed"],
    explains: (a, o) => a === "chunked" && o === undefined,
  },
  ...["CONTENT_LENGTH", STDIN_LENGTH, STDIN_SHA1].map((variable): Difference => ({
    variable,
    why: "a body on a GET: Apache forwards it; the Fetch Request model has no body on GET/HEAD (new Request throws), so every runtime's server drops it before the gateway sees it",
    cases: ["GET with a body"],
    explains: (a, o) => a !== undefined && (variable === "CONTENT_LENGTH" ? o === undefined : o === (variable === STDIN_LENGTH ? "0" : SHA1_OF_NOTHING)),
  })),
  // The runtimes' HTTP servers, before the gateway sees the request.
  {
    variable: STATUS,
    why: "raw (unencoded) non-ASCII bytes in the request-target are invalid (RFC 9112 §3.2, RFC 3986); Apache accepts them, Node's HTTP parser refuses with 400 before the gateway sees the request (Deno and Bun accept and percent-encode them)",
    runtimes: ["node"],
    cases: ["raw UTF-8 bytes in the path", "raw UTF-8 bytes in the query"],
    explains: (a, o) => a === "200" && o === "400",
  },
  {
    variable: STATUS,
    why: "Bun 1.4 answers 400 by itself to a chunked request with trailer fields when the handler responds after the body ended asynchronously (as a gateway must: it waits for the backend); a plain Bun.serve handler shows the same",
    runtimes: ["bun"],
    cases: ["chunked POST with a trailer"],
    explains: (a, o) => a === "200" && o === "400",
  },
  // Deno and Bun hand the handler only a parsed URL: no raw request-target, no HTTP version (Node compares raw).
  {
    variable: "REQUEST_URI",
    why: "Deno and Bun expose only the WHATWG-parsed URL, not the raw request-target, so REQUEST_URI is its path and query: dot segments resolved, \"\\\\\" turned into \"/\", a bare \"?\" dropped, non-ASCII percent-encoded, absolute-form reduced to the path (Node passes the raw target, as Apache)",
    runtimes: ["deno", "bun"],
    explains: (a, o) => a !== undefined && o === pathAndQuery(a),
  },
  {
    variable: "QUERY_STRING",
    why: "Deno and Bun: the query as the URL parser re-serialised it (non-ASCII bytes percent-encoded), not the raw one",
    runtimes: ["deno", "bun"],
    explains: (a, o) => a !== undefined && o === new URL(`/?${a}`, BASE).search.slice(1),
  },
  {
    variable: "SERVER_PROTOCOL",
    why: "Deno and Bun do not tell the handler the request's HTTP version; an HTTP/1.0 request is reported as HTTP/1.1",
    runtimes: ["deno", "bun"],
    cases: ["HTTP/1.0 with Host", "HTTP/1.0 without Host"],
    explains: (a, o) => a === "HTTP/1.0" && o === "HTTP/1.1",
  },
  {
    variable: STATUS,
    why: "Deno and Bun drop the fragment while parsing the URL, so the gateway cannot see that the request-target had one (Apache refuses it with 400)",
    runtimes: ["deno", "bun"],
    cases: ["fragment in the request target"],
    explains: (a, o) => a === "400" && o === "200",
  },
  {
    variable: "SCRIPT_NAME",
    why: "Deno and Bun: the URL parser turns a backslash into \"/\" before the gateway sees the request, and the raw target is not available to undo it (on Node this is in PENDING_FIXES)",
    runtimes: ["deno", "bun"],
    cases: ["backslash in the path"],
    explains: (a, o) => a === "/app/a\\b.php" && o === "/app/a/b.php",
  },
  {
    variable: "SCRIPT_FILENAME",
    why: "Deno and Bun: the backslash became \"/\" in the URL parser, as for SCRIPT_NAME",
    runtimes: ["deno", "bun"],
    cases: ["backslash in the path"],
    explains: (a, o) => a !== undefined && o !== undefined && a.endsWith("/srv/app/a%5Cb.php") && o.endsWith("/srv/app/a/b.php"),
  },
  {
    variable: STATUS,
    why: "Deno and Bun: the URL parser turns `/app\\..\\generic/x.php` into /generic/x.php before the gateway sees it, so the request is routed to /generic/ where Apache finds no route; unfixable without the raw target (put a front proxy that refuses backslashes before these runtimes if route confinement matters; on Node this is in PENDING_FIXES)",
    runtimes: ["deno", "bun"],
    cases: ["backslash dot-dot out of a route"],
    explains: (a, o) => a === "404" && o === "200",
  },
  {
    variable: "HTTP_HOST",
    why: "Bun builds request.url from the Host header and drops the authority of an absolute-form target, so the gateway cannot apply RFC 9112 §3.2.2 there (Node and Deno: PENDING_FIXES)",
    runtimes: ["bun"],
    cases: ["absolute-form target naming another host"],
    explains: (a, o) => a === "other.test:9090" && o === "gw.test:8080",
  },
  {
    variable: "SERVER_NAME",
    why: "Bun: absolute-form authority lost, as for HTTP_HOST",
    runtimes: ["bun"],
    cases: ["absolute-form target naming another host"],
    explains: (a, o) => a === "other.test" && o === "gw.test",
  },
  {
    variable: "SERVER_PORT",
    why: "Bun: absolute-form authority lost, as for HTTP_HOST",
    runtimes: ["bun"],
    cases: ["absolute-form target naming another host"],
    explains: (a, o) => a === "9090" && o === "8080",
  },
  {
    variable: "SCRIPT_FILENAME",
    why: "a %-escape in the ProxyPass target (`fcgi://…/srv/my%20app/`): the target is a URL, so we decode its path once (the directory `my app`); Apache takes it literally and re-encodes the \"%\" (SCRIPT_FILENAME …/srv/my%2520app/x.php), naming a directory `my%2520app` that PHP-FPM < 8.5 cannot find either",
    cases: ["encoded target path"],
    explains: (a, o) => a !== undefined && o !== undefined && a.endsWith("/srv/my%2520app/x.php") && o.endsWith("/srv/my app/x.php"),
  },
  {
    variable: "SERVER_NAME",
    why: "absolute-form request-target on Deno: Deno gives no raw target and builds request.url from the Host header, so the target's authority (which RFC 9112 §3.2.2 says wins, and does on Node and in Apache) is not visible to us",
    runtimes: ["deno"],
    cases: ["absolute-form target naming another host"],
    explains: (a, o) => a === "other.test" && o === "gw.test",
  },
  {
    variable: "SERVER_PORT",
    why: "absolute-form request-target on Deno, as SERVER_NAME",
    runtimes: ["deno"],
    cases: ["absolute-form target naming another host"],
    explains: (a, o) => a === "9090" && o === "8080",
  },
  {
    variable: "HTTP_HOST",
    why: "absolute-form request-target on Deno, as SERVER_NAME: Apache replaces Host with the target's authority",
    runtimes: ["deno"],
    cases: ["absolute-form target naming another host"],
    explains: (a, o) => a === "other.test:9090" && o === "gw.test:8080",
  },
];

// ---------------------------------------------------------------------------------------------------------
// PENDING_FIXES: differences we believe are bugs in proxy-fcgi (it should match Apache). They do not fail
// their case, but each must still reproduce on the runtimes it names: once src/ is fixed, the last test fails
// until the entry is deleted here.
// ---------------------------------------------------------------------------------------------------------
const PENDING_FIXES: readonly Difference[] = [];

// ---------------------------------------------------------------------------------------------------------
// Requests. Every one is sent byte for byte the same to both servers. Targets and header values are byte
// strings: "\u00c3\u00a9" is the two bytes of a UTF-8 "é", sent raw.
// ---------------------------------------------------------------------------------------------------------
const CASES: readonly Case[] = [
  { name: "plain GET", target: "/app/index.php" },
  { name: "GET of the route root", target: "/app/" },
  { name: "query with odd characters", target: "/app/q.php?a=1&b=%20x+y&c=%7e&d=%2F&e=[]&f=|&g=%zz&h=&&i==&j=%C3%A9" },
  { name: "empty query", target: "/app/q.php?" },
  { name: "query with a question mark", target: "/app/q.php?a?b=c" },
  { name: "encoded space in the path", target: "/app/a%20b.php" },
  { name: "UTF-8 in the path", target: "/app/caf%C3%A9/%E2%9C%93.php" },
  { name: "lower-case escapes", target: "/app/caf%c3%a9.php" },
  { name: "encoded unreserved characters", target: "/app/%7Euser/%41%2e%5F.php" },
  { name: "sub-delims in the path", target: "/app/a+b;c=d,e!$&'()*@:.php" },
  { name: "encoded percent", target: "/app/100%25.php" },
  { name: "encoded question mark", target: "/app/x.php%3Fy=1" },
  { name: "repeated slashes", target: "/app//double///slashes.php" },
  { name: "dot segments", target: "/app/sub/../x.php" },
  { name: "dot-dot out of a route", target: "/app/../generic/x.php" },
  { name: "POST with Content-Length", method: "POST", target: "/app/form.php", headers: [["Content-Type", "application/x-www-form-urlencoded"]], body: "a=1&b=2" },
  { name: "POST with Content-Length 0", method: "POST", target: "/app/form.php", body: "" },
  { name: "chunked POST", method: "POST", target: "/app/form.php", headers: [["Transfer-Encoding", "chunked"]], body: "7\r\nchunked\r\n0\r\n\r\n" },
  { name: "POST of 100 KB with Content-Length", method: "POST", target: "/app/upload.php", headers: [["Content-Type", "application/octet-stream"]], body: "0123456789abcdef".repeat(6400) },
  { name: "chunked POST larger than Apache's 16 KB prefetch", method: "POST", target: "/app/upload.php", headers: [["Transfer-Encoding", "chunked"]], body: chunked("x".repeat(40_000), 8192) },
  { name: "chunked POST, streamed", method: "POST", target: "/stream/upload.php", headers: [["Transfer-Encoding", "chunked"]], body: chunked("y".repeat(40_000), 8192) },
  { name: "POST with Content-Length, streamed", method: "POST", target: "/stream/upload.php", body: "streamed" },
  { name: "chunked POST with a trailer", method: "POST", target: "/app/form.php", headers: [["Transfer-Encoding", "chunked"], ["Trailer", "X-Sum"]], body: "3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n" },
  { name: "GET with a body", target: "/app/x.php", body: "get-body" },
  { name: "Content-Length with leading zeros", method: "POST", target: "/app/form.php", headers: [["Content-Length", "007"]], body: "leading" },
  { name: "PUT with a JSON body", method: "PUT", target: "/app/api.php/item/1", headers: [["Content-Type", "application/json; charset=utf-8"]], body: '{"a":1}' },
  { name: "HEAD", method: "HEAD", target: "/app/index.php?x=1" },
  { name: "OPTIONS", method: "OPTIONS", target: "/app/index.php" },
  { name: "DELETE", method: "DELETE", target: "/app/index.php" },
  { name: "extension method", method: "PROPFIND", target: "/app/dav.php", headers: [["Depth", "1"]] },
  {
    name: "header names: underscore, case, repeats, empty",
    target: "/app/h.php",
    headers: [
      ["X_Foo", "underscore"], ["X-Foo", "dash"], ["x-lower", "l"], ["X-UPPER", "U"], ["X-Multi", "a"], ["X-Multi", "b"],
      ["X-Empty", ""], ["X-Dot.Name", "dot"], ["Accept", "text/html, */*;q=0.1"], ["User-Agent", "apache-diff/1"],
    ],
  },
  { name: "UTF-8 bytes in a header value", target: "/app/h.php", headers: [["X-Name", "caf\u00c3\u00a9 \u00e2\u009c\u0093"]] },
  { name: "Latin-1 byte in a header value", target: "/app/h.php", headers: [["X-Name", "caf\u00e9"]] },
  { name: "two Cookie headers", target: "/app/c.php", headers: [["Cookie", "a=1"], ["Cookie", "b=2"]] },
  { name: "Proxy header (httpoxy)", target: "/app/x.php", headers: [["Proxy", "http://evil.test:3128"]] },
  { name: "Authorization", target: "/app/x.php", headers: [["Authorization", "Basic dXNlcjpwYXNz"]] },
  { name: "Proxy-Authorization", target: "/app/x.php", headers: [["Proxy-Authorization", "Basic dXNlcjpwYXNz"]] },
  { name: "Content-Type on a GET", target: "/app/x.php", headers: [["Content-Type", "text/plain"]] },
  { name: "Host without a port", target: "/app/x.php", host: "gw.test" },
  { name: "Host in upper case", target: "/app/x.php", host: "GW.Test:8080" },
  { name: "IPv6 Host", target: "/app/x.php", host: "[::1]:8080" },
  { name: "HTTP/1.0 without Host", target: "/app/x.php", version: "HTTP/1.0", host: null },
  { name: "absolute-form request target", target: "http://gw.test:8080/app/abs.php?q=1" },
  { name: "GENERIC backend type", target: "/generic/index.php?q=1" },
  { name: "GENERIC with an encoded space", target: "/generic/a%20b.php" },
  { name: "GENERIC with Authorization (CGIPassAuth On)", target: "/generic/x.php", headers: [["Authorization", "Bearer t0k3n"]] },
  { name: "GENERIC with an encoded question mark", target: "/generic/x.php%3Fy=1" },
  { name: "GENERIC with Proxy-Authorization (CGIPassAuth On)", target: "/generic/x.php", headers: [["Proxy-Authorization", "Basic dXNlcjpwYXNz"]] },
  { name: "unix socket route", target: "/sock/index.php?q=1" },
  { name: "Authorization with pass-authorization=off", target: "/sock/x.php", headers: [["Authorization", "Basic dXNlcjpwYXNz"]] },
  { name: "encoded target path", target: "/enc/x.php" },
  { name: "prefix without a trailing slash", target: "/exact" },
  { name: "prefix without a trailing slash, below", target: "/exact/more/x.php" },
  { name: "prefix without a trailing slash, with one", target: "/exact/" },
  { name: "prefix at no segment boundary", target: "/exactly" },
  { name: "first-dot path info", target: "/first/a.php/b/c.d/e" },
  { name: "first-dot without path info", target: "/first/a.php" },
  { name: "first-dot without a dot", target: "/first/dir/file" },
  { name: "first-dot with a dotted directory", target: "/first/v1.2/a.php/x" },
  { name: "first-dot with encoded path info", target: "/first/a.php/x%20y/%C3%A9" },
  { name: "last-dot path info", target: "/last/a.php/b/c.d/e" },
  { name: "last-dot with a dot in the path info", target: "/last/a.php/b/c.d" },
  { name: "last-dot without path info", target: "/last/a.php" },
  { name: "unescape path info", target: "/unescape/a%20b.php/x%20y?q=1" },
  { name: "unescape at the route root", target: "/unescape/" },
  { name: "full: existing file with path info", target: "/full/real.php/extra/info" },
  { name: "full: existing file", target: "/full/real.php" },
  { name: "full: no such file", target: "/full/none.php/x" },
  { name: "full: under the document root", target: "/fullrel/real.php/more" },
  { name: "fragment in the request target", target: "/app/x.php?q=1#frag" },
  { name: "backslash in the path", target: "/app/a\\b.php" },
  { name: "backslash dot-dot out of a route", target: "/app\\..\\generic/x.php" },
  { name: "encoded dot segments", target: "/app/sub/%2e%2E/x.php" },
  { name: "trailing dot segment", target: "/app/sub/." },
  { name: "Max-Forwards", target: "/app/x.php", headers: [["Max-Forwards", "5"]] },
  { name: "Max-Forwards: 0", target: "/app/x.php", headers: [["Max-Forwards", "0"]] },
  { name: "hop-by-hop headers", target: "/app/x.php", headers: [["Keep-Alive", "timeout=5"], ["TE", "trailers"], ["X-Hop", "1"], ["Connection", "X-Hop"]] },
  { name: "Expect: 100-continue", method: "POST", target: "/app/form.php", headers: [["Expect", "100-continue"]], body: "expected" },
  { name: "Host with a trailing dot", target: "/app/x.php", host: "gw.test.:8080" },
  { name: "invalid Host", target: "/app/x.php", host: "bad host" },
  { name: "absolute-form target naming another host", target: "http://other.test:9090/app/abs.php" },
  { name: "HTTP/1.0 with Host", target: "/app/x.php", version: "HTTP/1.0" },
  { name: "long query string", target: `/app/q.php?${"k=v&".repeat(500)}end` },
  { name: "route prefix in another case", target: "/APP/x.php" },
  { name: "route prefix without its trailing slash", target: "/app" },
  { name: "no route", target: "/nothing/here.php" },
  { name: "encoded slash", target: "/app/a%2Fb.php" },
  { name: "malformed escape", target: "/app/a%zzb.php" },
  { name: "encoded NUL", target: "/app/a%00b.php" },
  { name: "encoded control character", target: "/app/a%01b.php" },
  { name: "encoded newline", target: "/app/a%0Ab.php" },
  { name: "invalid UTF-8 in the path", target: "/app/a%FFb.php" },
  { name: "raw UTF-8 bytes in the path", target: "/app/caf\u00c3\u00a9.php" },
  { name: "raw UTF-8 bytes in the query", target: "/app/q.php?caf\u00c3\u00a9" },
];

// ---------------------------------------------------------------------------------------------------------

interface Ctx {
  apache: ApacheServer;
  backend: ResponderServer & { port: number };
  unixBackend: ResponderServer;
  gw: TestGateway;
  server: RunningServer & { url: string };
}

const unavailable = apacheUnavailable();
const mustRun = process.env.CI === "true";
const verbose = process.env.APACHE_DIFF_VERBOSE === "1";

describe("differential: proxy-fcgi vs Apache mod_proxy_fcgi", () => {
  if (unavailable && !mustRun) {
    it.skip(`skipped: ${unavailable}`, () => {});
    return;
  }
  let ctx: Ctx | undefined;
  const pendingHits = new Map<Difference, number>();

  before(async () => {
    if (unavailable) throw new Error(`CI=true but Apache is unavailable: ${unavailable}`);
    const backend = await startBackend(recordingEcho);
    let unixBackend: ResponderServer | undefined;
    let apache: ApacheServer | undefined;
    try {
      apache = await startApache({
        prepare: async ({ dir }) => {
          mkdirSync(join(dir, "htdocs"), { mode: 0o755 });
          writeFileSync(join(dir, "htdocs", "real.php"), "<?php // placeholder: never executed\n");
          unixBackend = await startUnixBackend(join(dir, "echo.sock"), recordingEcho);
          chmodSync(join(dir, "echo.sock"), 0o777); // Apache's children run as www-data
        },
        config: ({ dir }) => apacheRoutes(dir, backend.port),
      });
      const gw = testGateway(ourRoutes(apache.dir, backend.port), { documentRoot: join(apache.dir, "htdocs") });
      // An exception escaping gateway.fetch becomes a 500, as every runtime's server makes it, but is recorded
      // so the case reports it (Bun's test runner would otherwise fail whichever test is running).
      const server = await serveGateway({
        ...gw.gateway,
        fetch: (request, info) =>
          gw.gateway.fetch(request, info).catch((e: unknown) => {
            thrown.set(request.headers.get("x-diff-id") ?? "", String(e));
            return new Response(null, { status: 500 });
          }),
      });
      ctx = { apache, backend, unixBackend: unixBackend!, gw, server };
    } catch (e) {
      await apache?.close();
      await unixBackend?.close();
      await backend.close();
      throw e;
    }
    if (verbose) console.log(`apache-diff: ${ctx.apache.version}, runtime ${runtime}`);
  });

  after(async () => {
    if (!ctx) return;
    await ctx.server.close(1000);
    await ctx.gw.close();
    await ctx.apache.close();
    await ctx.unixBackend.close();
    await ctx.backend.close();
  });

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const { apache, server } = ctx!;
      const [a, o] = await Promise.all([send(apache.port, c, `${i}.apache`), send(server.port, c, `${i}.ours`)]);
      const seen: Seen = { apache: a.params, ours: o.params, apachePort: apache.port, ourPort: server.port, case: c };
      const unexplained: string[] = [];
      const check = (variable: string, av: string | undefined, ov: string | undefined) => {
        if (av === ov) return;
        const deliberate = DELIBERATE.find((d) => applies(d, variable, c) && (d.explains?.(av, ov, seen) ?? true));
        const pending = deliberate ? undefined : PENDING_FIXES.find((d) => applies(d, variable, c) && (d.explains?.(av, ov, seen) ?? true));
        if (pending) pendingHits.set(pending, (pendingHits.get(pending) ?? 0) + 1);
        const line = `${variable}: apache ${show(av)}, ours ${show(ov)}`;
        if (verbose) console.log(`[${runtime}] ${c.name}: ${deliberate ? "deliberate" : pending ? "PENDING" : "UNEXPLAINED"} ${line}`);
        if (!deliberate && !pending) unexplained.push(line);
      };
      check(STATUS, String(a.status), String(o.status));
      check(THROWN, undefined, thrown.get(`${i}.ours`));
      // When either side did not reach the backend, there is nothing more to compare.
      if (a.status !== o.status && (a.status !== 200 || o.status !== 200)) {
        assert.deepEqual(unexplained, [], `${c.method ?? "GET"} ${c.target}: ${unexplained.join("; ")}`);
        return;
      }
      for (const v of new Set([...Object.keys(a.params), ...Object.keys(o.params)]).values()) {
        check(v, a.params[v], o.params[v]);
      }
      if (a.status === 200 && o.status === 200) {
        check(STDIN_LENGTH, String(a.stdinLength), String(o.stdinLength));
        check(STDIN_SHA1, a.stdinSha1, o.stdinSha1);
      }
      assert.deepEqual(unexplained, [], `${c.method ?? "GET"} ${c.target}: differences not in DELIBERATE or PENDING_FIXES:\n  ${unexplained.join("\n  ")}\nApache error log:\n${apache.errorLog().slice(-2000)}`);
    });
  });

  it("the tables name existing cases", () => {
    const names = new Set(CASES.map((c) => c.name));
    assert.equal(names.size, CASES.length, "case names must be unique");
    const unknown = [...DELIBERATE, ...PENDING_FIXES].flatMap((d) => d.cases ?? []).filter((n) => !names.has(n));
    assert.deepEqual(unknown, []);
  });

  it("every PENDING_FIXES entry still reproduces (delete the entry once src/ is fixed)", () => {
    const stale = PENDING_FIXES.filter((p) => appliesToRuntime(p) && !pendingHits.has(p)).map((p) => `${p.variable} (${p.cases?.join(", ") ?? "all cases"})`);
    assert.deepEqual(stale, [], "these PENDING_FIXES no longer occur: delete them");
  });
});

function apacheRoutes(dir: string, port: number): string {
  const fcgi = `fcgi://127.0.0.1:${port}`;
  return `
DocumentRoot "${dir}/htdocs"
ProxyPass "/app/" "${fcgi}/srv/app/"
ProxyPass "/generic/" "${fcgi}/srv/generic/"
<Proxy "${fcgi}/srv/generic/">
  ProxyFCGIBackendType GENERIC
</Proxy>
<Location "/generic/">
  CGIPassAuth On
</Location>
ProxyPass "/stream/" "${fcgi}/srv/stream/"
ProxyPass "/sock/" "unix:${dir}/echo.sock|fcgi://localhost/srv/sock/"
ProxyPass "/enc/" "${fcgi}/srv/my%20app/"
ProxyPass "/exact" "${fcgi}/srv/exact.php"
ProxyPass "/first/" "${fcgi}/srv/first/"
ProxyPass "/last/" "${fcgi}/srv/last/"
ProxyPass "/unescape/" "${fcgi}/srv/unescape/"
ProxyPass "/full/" "${fcgi}${dir}/htdocs/"
ProxyPass "/fullrel/" "${fcgi}/"
${["first-dot", "last-dot", "unescape", "full"].map((mode) => `<Location "/${mode.replace("-dot", "")}/">
  SetEnvIf Request_URI "^" proxy-fcgi-pathinfo=${mode}
</Location>`).join("\n")}
<Location "/fullrel/">
  SetEnvIf Request_URI "^" proxy-fcgi-pathinfo=full
</Location>
`;
}

function ourRoutes(dir: string, port: number): string[] {
  const fcgi = `fcgi://127.0.0.1:${port}`;
  return [
    `/app/ ${fcgi}/srv/app/`,
    `/generic/ ${fcgi}/srv/generic/ backend-type=GENERIC pass-authorization=on`,
    `/stream/ ${fcgi}/srv/stream/ request-buffering=stream`,
    `/sock/ unix:${dir}/echo.sock|fcgi://localhost/srv/sock/ pass-authorization=off`,
    `/enc/ ${fcgi}/srv/my%20app/`,
    `/exact ${fcgi}/srv/exact.php`,
    `/first/ ${fcgi}/srv/first/ path-info=first-dot`,
    `/last/ ${fcgi}/srv/last/ path-info=last-dot`,
    `/unescape/ ${fcgi}/srv/unescape/ path-info=unescape`,
    `/full/ ${fcgi}${dir}/htdocs/ path-info=full`,
    `/fullrel/ ${fcgi}/ path-info=full`,
  ];
}

interface Answer {
  readonly status: number;
  readonly params: Params;
  readonly stdinLength?: number;
  readonly stdinSha1?: string;
}

/**
 * The echo backend, also keeping each request's params under its X-Diff-Id header: HEAD responses carry no
 * body, and a request may reach the backend even when the response is an error.
 */
const received = new Map<string, Params>();
const thrown = new Map<string, string>();
const recordingEcho: ResponderHandler = (req, reply) => {
  const id = req.params.get(ID_VAR);
  if (id !== undefined) {
    const params = Object.fromEntries(req.params);
    delete params[ID_VAR];
    received.set(id, params);
  }
  return echoHandler(req, reply);
};
const ID_VAR = "HTTP_X_DIFF_ID";

async function send(port: number, c: Case, id: string): Promise<Answer> {
  const method = c.method ?? "GET";
  const lines = [`${method} ${c.target} ${c.version ?? "HTTP/1.1"}`];
  const host = c.host === undefined ? HOST : c.host;
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [name, value] of c.headers ?? []) lines.push(`${name}: ${value}`);
  lines.push(`X-Diff-Id: ${id}`);
  const framed = (c.headers ?? []).some(([n]) => /^(transfer-encoding|content-length)$/i.test(n));
  const body = c.body === undefined ? "" : c.body;
  if (c.body !== undefined && !framed) lines.push(`Content-Length: ${new TextEncoder().encode(body).length}`);
  lines.push("Connection: close", "", "");
  // The head is a byte string (one char per byte, so a case can send raw non-ASCII bytes); the body is text.
  const head = latin1Bytes(lines.join("\r\n"));
  const bodyBytes = new TextEncoder().encode(body);
  const request = new Uint8Array(head.length + bodyBytes.length);
  request.set(head);
  request.set(bodyBytes, head.length);
  const response: RawResponse = await rawRequest(port, request, { head: method === "HEAD" });
  const params = received.get(id) ?? {};
  received.delete(id);
  if (response.status !== 200 || method === "HEAD" || !(response.headers.get("content-type") ?? "").startsWith("application/json")) {
    return { status: response.status, params };
  }
  const echo = JSON.parse(new TextDecoder().decode(response.body)) as EchoBody;
  return { status: response.status, params, stdinLength: echo.stdinLength, stdinSha1: echo.stdinSha1 };
}

function applies(d: Difference, variable: string, c: Case): boolean {
  return d.variable === variable && appliesToRuntime(d) && (!d.cases || d.cases.includes(c.name));
}

function appliesToRuntime(d: Difference): boolean {
  return !d.runtimes || d.runtimes.includes(runtime);
}

/** `data` as a chunked request body of `size`-byte chunks. */
function chunked(data: string, size: number): string {
  let out = "";
  for (let i = 0; i < data.length; i += size) {
    const part = data.slice(i, i + size);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

/** What the WHATWG URL parser makes of a request-target: path and query only. */
function pathAndQuery(target: string): string {
  const u = new URL(target, BASE);
  return u.pathname + u.search;
}

/** Percent-decodes bytes as UTF-8, leaving malformed escapes alone (what a backend decoding the path sees). */
function unescape(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function show(v: string | undefined): string {
  return v === undefined ? "(absent)" : JSON.stringify(v);
}

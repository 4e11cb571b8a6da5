// Builds the CGI/1.1 environment (RFC 3875 §4.1) sent as FCGI_PARAMS, with the variables and rules
// mod_proxy_fcgi sends (ap_add_common_vars + ap_add_cgi_vars in Apache's util_script.c).
import type { ConnectionInfo } from "../connection-info.ts";
import { fromByteString } from "./byte-string.ts";
import { headerVarName } from "./header-vars.ts";
import type { ScriptPaths } from "./script-paths.ts";
import type { HeaderReader } from "./header-reader.ts";
import { ParamList } from "../protocol/param-list.ts";

export interface EnvInput {
  readonly method: string;
  /** Raw request-target (path and query) as the client sent it. */
  readonly requestUri: string;
  /** Raw query string without "?", "" when none. */
  readonly query: string;
  readonly headers: HeaderReader;
  readonly conn: ConnectionInfo;
  readonly script: ScriptPaths;
  readonly documentRoot: string;
  readonly serverSoftware: string;
  /** The body length the backend will receive on STDIN; undefined when it is streamed without one. */
  readonly contentLength: number | undefined;
  readonly passAuthorization: boolean;
  /** Host (and port) from the URL when the caller gave no connection info (a bare fetch() call), else "". */
  readonly urlHost: string;
}

/** Values are text, or exact bytes for request data that is not UTF-8 (see byte-string.ts). */
export type CgiEnv = ParamList;

export function buildEnv(input: EnvInput): CgiEnv {
  // Every name below is distinct (headers become HTTP_*, and CONTENT_* headers are never passed): add, not set.
  const env: CgiEnv = new ParamList();
  const { headers, conn } = input;
  let host: string | null = null;
  const passAuthorization = input.passAuthorization;
  // forEach, not for-of: Deno's Headers iterator sorts and copies on each use (3 µs for five headers, 0.5
  // with forEach); elsewhere the two cost the same.
  headers.forEach((value, name) => {
    if (name === "host") host = value;
    if (name === "authorization" && !passAuthorization) return;
    const varName = headerVarName(name);
    if (varName !== null) env.add(varName, fromByteString(value));
  });
  const { serverName, serverPort } = serverNameAndPort(host ?? (input.urlHost || null), conn);
  env.add("SERVER_SOFTWARE", input.serverSoftware);
  env.add("SERVER_NAME", serverName);
  env.add("SERVER_ADDR", conn.localAddress);
  env.add("SERVER_PORT", serverPort);
  env.add("REMOTE_ADDR", conn.remoteAddress);
  env.add("DOCUMENT_ROOT", input.documentRoot);
  env.add("REQUEST_SCHEME", conn.tls ? "https" : "http");
  if (conn.tls) env.add("HTTPS", "on");
  env.add("CONTEXT_PREFIX", "");
  env.add("CONTEXT_DOCUMENT_ROOT", input.documentRoot);
  env.add("SCRIPT_FILENAME", input.script.scriptFilename);
  env.add("REMOTE_PORT", conn.remotePort === undefined ? "" : String(conn.remotePort));
  env.add("GATEWAY_INTERFACE", "CGI/1.1");
  env.add("SERVER_PROTOCOL", `HTTP/${conn.httpVersion ?? "1.1"}`);
  env.add("REQUEST_METHOD", input.method);
  env.add("QUERY_STRING", fromByteString(input.query)); // always present, raw (RFC 3875 §4.1.7)
  env.add("REQUEST_URI", fromByteString(input.requestUri));
  env.add("SCRIPT_NAME", input.script.scriptName);
  if (input.script.pathInfo !== undefined) {
    env.add("PATH_INFO", input.script.pathInfo);
    env.add("PATH_TRANSLATED", input.script.pathTranslated ?? "");
  }
  if (input.script.documentUri !== undefined) env.add("DOCUMENT_URI", input.script.documentUri);
  const contentType = headers.get("content-type");
  if (contentType !== null) env.add("CONTENT_TYPE", fromByteString(contentType));
  if (input.contentLength !== undefined) env.add("CONTENT_LENGTH", String(input.contentLength));
  return env;
}

/**
 * SERVER_NAME and SERVER_PORT from the Host header, else the listener (Apache with UseCanonicalName Off).
 */
function serverNameAndPort(host: string | null, conn: ConnectionInfo): { serverName: string; serverPort: string } {
  // Clients repeat the same Host: the last answer is kept (a regex and two string copies per request otherwise).
  const c = lastServer;
  if (c !== undefined && c.host === host && c.localAddress === conn.localAddress && c.localPort === conn.localPort) return c.result;
  const result = parseServerNameAndPort(host, conn);
  lastServer = { host, localAddress: conn.localAddress, localPort: conn.localPort, result };
  return result;
}

let lastServer: {
  host: string | null;
  localAddress: string;
  localPort: number;
  result: { serverName: string; serverPort: string };
} | undefined;

function parseServerNameAndPort(host: string | null, conn: ConnectionInfo): { serverName: string; serverPort: string } {
  const local = String(conn.localPort);
  if (!host) return { serverName: conn.localAddress, serverPort: local };
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (!m) return { serverName: conn.localAddress, serverPort: local };
  // Without a port in Host, Apache (ap_get_server_port) takes ServerName's port; having no ServerName, we
  // take the listener's. A trailing dot of a fully qualified name is dropped, as Apache does.
  const name = m[1]!.toLowerCase();
  return { serverName: name.endsWith(".") ? name.slice(0, -1) : name, serverPort: m[2] ?? local };
}

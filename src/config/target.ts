// Parses ProxyPass targets: `fcgi://host[:port]/path`, `unix:/path/to.sock|fcgi://localhost/path` and
// `app:NAME/path` (a supervised app's private socket).
// Only configuration may name a unix socket (CVE-2021-40438: never derive it from a request).
import { InvalidValue } from "../errors.ts";
import { appSocketPath, checkAppName } from "./apps.ts";
import type { RouteTarget, Target } from "./types.ts";

/** Apache's default port for fcgi:// (proxy_util.c's scheme table). */
export const FCGI_DEFAULT_PORT = 8000;

export function parseTarget(text: string): Target {
  const app = /^app:([^/]*)(\/.*)?$/i.exec(text);
  if (app) {
    // A supervised app (config/apps.ts): its private Unix socket, named like a unix: target to localhost.
    const name = checkAppName(app[1]!);
    const url = parseFcgiUrl(`fcgi://localhost${app[2] ?? ""}`, text);
    return { kind: "fcgi", endpoint: { kind: "unix", path: appSocketPath(name) }, filenamePrefix: "proxy:fcgi://localhost", path: url.path, text, app: name };
  }
  const bar = text.indexOf("|");
  if (/^unix:/i.test(text)) {
    if (bar < 0) throw new InvalidValue(`"${text}" needs the form unix:/path/to.sock|fcgi://localhost/path`);
    const path = text.slice(5, bar);
    if (!path.startsWith("/")) throw new InvalidValue(`the unix socket path in "${text}" must be absolute`);
    const url = parseFcgiUrl(text.slice(bar + 1), text);
    return { kind: "fcgi", endpoint: { kind: "unix", path }, filenamePrefix: `proxy:fcgi://${url.hostForName}`, path: url.path, text };
  }
  if (bar >= 0) throw new InvalidValue(`"${text}": only a unix: target may contain "|"`);
  const url = parseFcgiUrl(text, text);
  const portPart = url.port === FCGI_DEFAULT_PORT ? "" : `:${url.port}`;
  return {
    kind: "fcgi",
    endpoint: { kind: "tcp", host: url.host, port: url.port },
    filenamePrefix: `proxy:fcgi://${url.hostForName}${portPart}`,
    path: url.path,
    text,
  };
}

/** A route's target: a FastCGI backend, or `balancer://name`. */
export function parseRouteTarget(text: string): RouteTarget {
  const m = /^balancer:\/\/([A-Za-z0-9._-]+)\/?$/i.exec(text);
  if (m) return { kind: "balancer", name: m[1]!.toLowerCase(), text: `balancer://${m[1]!.toLowerCase()}` };
  if (/^balancer:/i.test(text)) throw new InvalidValue(`"${text}" must be balancer://NAME (letters, digits, . _ -)`);
  return parseTarget(text);
}

/** `balancer://name` (a trailing slash allowed) → name. */
export function parseBalancerName(text: string): string {
  const t = parseRouteTarget(text);
  if (t.kind !== "balancer") throw new InvalidValue(`"${text}" must be balancer://NAME`);
  return t.name;
}

interface FcgiUrl { host: string; hostForName: string; port: number; path: string }

function parseFcgiUrl(text: string, whole: string): FcgiUrl {
  // `fcgi:/path` (no authority) is accepted after unix:, as Apache does, meaning localhost.
  const m = /^fcgi:(?:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#@[\]]*)(?::(\d*))?)?(\/[^?#]*)?$/i.exec(text);
  if (!m) throw new InvalidValue(`"${whole}" is not a valid fcgi:// target`);
  const rawHost = (m[1] ?? "localhost").toLowerCase();
  if (rawHost === "") throw new InvalidValue(`"${whole}" has no host`);
  const port = m[2] === undefined || m[2] === "" ? FCGI_DEFAULT_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidValue(`"${whole}" has an invalid port`);
  let path: string;
  try {
    path = decodeURIComponent(m[3] ?? "");
  } catch {
    throw new InvalidValue(`"${whole}" has a malformed %-escape in its path`);
  }
  if (/[\0-\x1f\x7f?]/.test(path)) throw new InvalidValue(`"${whole}" has a control character or "?" in its path`);
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  return { host, hostForName: rawHost, port, path };
}

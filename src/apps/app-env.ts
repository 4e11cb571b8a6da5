// The environment an app starts with: nothing of the gateway's unless allowed, then the app's own variables,
// then what FastCGI and PHP read. A clean environment by default, as php-fpm's clear_env and mod_fcgid do.
import type { AppConfig } from "./types.ts";

/** Passed through from the gateway's environment unless an app lists its own. */
export const DEFAULT_ENV_ALLOW: readonly string[] = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** `{socket}`, `{name}` (and `{port}`, `{host}` for TCP) replaced in `text`. */
export function fillPlaceholders(text: string, app: AppConfig): string {
  const l = app.listen;
  return text.replace(/\{(socket|name|port|host)\}/g, (whole, key: string) => {
    if (key === "name") return app.name;
    if (key === "socket") return l.kind === "unix" ? l.path : `${l.host}:${l.port}`;
    if (l.kind !== "tcp") return whole;
    return key === "port" ? String(l.port) : l.host;
  });
}

/** The child's whole environment. */
export function appEnvironment(app: AppConfig, parent: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of app.envAllow) {
    const v = parent[name];
    if (v !== undefined) env[name] = v;
  }
  if (env.PATH === undefined) env.PATH = "/usr/local/bin:/usr/bin:/bin";
  for (const [k, v] of app.env) env[k] = fillPlaceholders(v, app);
  // FastCGI spec §3.2: the addresses the app may accept connections from (the gateway connects over loopback).
  if (app.listen.kind === "tcp") env.FCGI_WEB_SERVER_ADDRS ??= app.listen.host;
  if (app.maxRequests !== null) env.PHP_FCGI_MAX_REQUESTS ??= String(app.maxRequests);
  if (app.children !== null) env.PHP_FCGI_CHILDREN ??= String(app.children);
  return env;
}

// Supervised apps from the command line and the JSON file → AppConfig values, and where each one listens.
//
//   --app "NAME [key=value ...] -- COMMAND [ARG ...]"     e.g.
//   --app "php count=2 max-requests=500 -- php-cgi8.2 -d opcache.enable=1"
//   JSON: "apps": { "php": { "command": ["php-cgi8.2"], "count": 2, "max-requests": 500 } }
//
// Keys come before `--`, the command after it, so neither has to be quoted inside the other; a word with spaces
// is quoted 'like this' or "like this". Every app listens on a private Unix socket, APP_DIR/NAME.sock, which a
// route names as `app:NAME` (config/target.ts), so no address is written twice.
import { ConfigError, InvalidValue } from "../errors.ts";
import { appConcurrency, type AppConfig, type AppKind, type SocketMode } from "../apps/types.ts";
import type { GatewayConfig, PoolKeys } from "./types.ts";
import type { PoolOptions } from "../pool/backend-pool.ts";
import { DEFAULT_ENV_ALLOW } from "../apps/app-env.ts";
import { parseChoice, parseCount, parseDuration, scalarText } from "./values.ts";

/** App names: what may follow `app:` in a target and name a socket file. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Signals an app may ask to be stopped with. */
const STOP_SIGNALS = ["SIGTERM", "SIGQUIT", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const;
const KEYS = ["kind", "socket", "count", "env", "env-allow", "cwd", "stop-signal", "stop-timeout", "start-timeout", "max-requests", "children", "mode", "user", "group", "max-lifetime"];
/** The name `--site "/ ROOT php-fpm"` gives the php-fpm app it starts when no app of that name is configured. */
export const IMPLICIT_FPM_APP = "php-fpm";

type Env = { readonly [k: string]: string | undefined };
const processEnv = (): Env => (globalThis as { process?: { env?: Env } }).process?.env ?? {};
const processId = (): number => (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;

/**
 * The directory of the apps' sockets: PROXY_FCGI_RUNTIME_DIR, else $TMPDIR (or /tmp) / proxy-fcgi-PID. The CLI
 * creates it (mode 0700) before the apps start and removes it when they have stopped.
 */
export function appRuntimeDir(env: Env = processEnv(), pid: number = processId()): string {
  const set = env.PROXY_FCGI_RUNTIME_DIR;
  if (set) return set.replace(/\/+$/, "");
  return `${(env.TMPDIR || "/tmp").replace(/\/+$/, "")}/proxy-fcgi-${pid}`;
}

/** The Unix socket an app listens on, and `app:NAME` connects to. */
export function appSocketPath(name: string, dir: string = appRuntimeDir()): string {
  return `${dir}/${name}.sock`;
}

/** Checks an app name; throws InvalidValue. */
export function checkAppName(name: string): string {
  if (!NAME.test(name)) throw new InvalidValue(`"${name}" is not an app name (letters, digits, _ and -, at most 64)`);
  return name;
}

/** Words of an --app value: whitespace-separated, with '…' and "…" quoting. */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new InvalidValue(`unclosed ${quote} quote`);
  if (inWord) out.push(word);
  return out;
}

interface Draft {
  kind: AppKind;
  socket: SocketMode | null;
  stopSignalSet: boolean;
  user: string;
  group: string;
  userSet: boolean;
  groupSet: boolean;
  count: number;
  env: Array<readonly [string, string]>;
  envAllow: string[];
  cwd: string | undefined;
  stopSignal: string;
  stopTimeoutMs: number;
  startTimeoutMs: number;
  maxRequests: number | null;
  children: number | null;
  mode: number;
  maxLifetimeMs: number | null;
}

function draft(): Draft {
  return {
    kind: "command",
    socket: null,
    stopSignalSet: false,
    user: "www-data",
    group: "www-data",
    userSet: false,
    groupSet: false,
    count: 1,
    env: [],
    envAllow: [...DEFAULT_ENV_ALLOW],
    cwd: undefined,
    stopSignal: "SIGTERM",
    stopTimeoutMs: 10_000,
    startTimeoutMs: 10_000,
    maxRequests: null,
    children: null,
    mode: 0o600,
    maxLifetimeMs: null,
  };
}

function applyKey(d: Draft, key: string, value: string): void {
  switch (key) {
    case "kind": d.kind = parseChoice(value, ["command", "php-fpm"] as const); break;
    case "socket": d.socket = parseChoice(value, ["fd0", "self"] as const); break;
    case "user": d.user = value; d.userSet = true; break;
    case "group": d.group = value; d.groupSet = true; break;
    case "count": d.count = parseCount(value, 1, 256); break;
    case "env": {
      const eq = value.indexOf("=");
      if (eq <= 0) throw new InvalidValue(`"${value}" must be NAME=VALUE`);
      d.env.push([value.slice(0, eq), value.slice(eq + 1)]);
      break;
    }
    case "env-allow": d.envAllow.push(...value.split(",").map((s) => s.trim()).filter((s) => s !== "")); break;
    case "cwd":
      if (!value.startsWith("/")) throw new InvalidValue(`"${value}" must be an absolute path`);
      d.cwd = value;
      break;
    case "stop-signal": d.stopSignalSet = true; d.stopSignal = parseChoice(value.toUpperCase().startsWith("SIG") ? value.toUpperCase() : `SIG${value.toUpperCase()}`, STOP_SIGNALS); break;
    case "stop-timeout": d.stopTimeoutMs = parseDuration(value, "s"); break;
    case "start-timeout": d.startTimeoutMs = parseDuration(value, "s"); break;
    case "max-requests": d.maxRequests = parseCount(value, 0); break;
    case "max-lifetime": d.maxLifetimeMs = parseDuration(value, "s"); break;
    case "children": d.children = parseCount(value, 0, 1024); break;
    case "mode": {
      if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidValue(`"${value}" must be an octal mode such as 0660`);
      d.mode = parseInt(value, 8);
      break;
    }
    default: throw new InvalidValue(`unknown key (known: ${KEYS.join(", ")})`);
  }
}

function finish(name: string, command: readonly string[], d: Draft, where: string, dir: string): AppConfig {
  const fpm = d.kind === "php-fpm";
  if (!fpm && (command.length === 0 || command[0] === "")) throw new ConfigError(where, "needs a command");
  if (fpm && d.socket === "fd0") throw new ConfigError(where, "php-fpm binds its own socket: kind=php-fpm is socket=self");
  const socket: SocketMode = fpm ? "self" : d.socket ?? "fd0";
  if (socket === "self" && d.maxLifetimeMs !== null) {
    throw new ConfigError(where, "max-lifetime replaces fd0 processes on their shared socket; a self-bound app cannot start its successor while it holds the address (php-fpm: max-requests is pm.max_requests)");
  }
  if (socket === "self" && d.count > 1) {
    throw new ConfigError(where, "count applies to socket=fd0 (children sharing one socket); a self-bound app binds its address once");
  }
  return {
    name,
    kind: d.kind,
    // php-fpm's pool size is pm.max_children, not PHP_FCGI_CHILDREN; its graceful stop is SIGQUIT.
    fpm: fpm ? { maxChildren: d.children, user: d.user, group: d.groupSet ? d.group : d.userSet ? d.user : d.group } : null,
    runAs: !fpm && (d.userSet || d.groupSet) ? { user: d.userSet ? d.user : "root", group: d.groupSet ? d.group : d.user } : null,
    command,
    socket,
    listen: { kind: "unix", path: appSocketPath(name, dir), mode: d.mode },
    count: d.count,
    env: d.env,
    envAllow: d.envAllow,
    cwd: d.cwd,
    stopSignal: fpm && !d.stopSignalSet ? "SIGQUIT" : d.stopSignal,
    stopTimeoutMs: d.stopTimeoutMs,
    startTimeoutMs: d.startTimeoutMs,
    maxRequests: d.maxRequests,
    maxLifetimeMs: d.maxLifetimeMs,
    children: fpm ? null : d.children,
  };
}

/** The php-fpm app a `php-fpm` BACKEND starts when none named IMPLICIT_FPM_APP is configured: every default. */
export function implicitFpmApp(dir: string = appRuntimeDir()): AppConfig {
  return finish(IMPLICIT_FPM_APP, [], { ...draft(), kind: "php-fpm" }, `--site BACKEND ${IMPLICIT_FPM_APP}`, dir);
}

/** `--app "NAME [key=value ...] -- COMMAND [ARG ...]"`. */
export function parseAppFlag(value: string, dir: string = appRuntimeDir()): AppConfig {
  const where = `--app "${value}"`;
  let words: string[];
  try {
    words = splitWords(value);
  } catch (e) {
    throw ConfigError.at(where, e);
  }
  let sep = words.indexOf("--");
  // kind=php-fpm needs no command: the gateway finds php-fpm.
  if (sep < 0 && words.slice(1).some((w) => /^kind=php-fpm$/i.test(w))) sep = words.length;
  if (sep < 1) throw new ConfigError(where, 'needs the form "NAME [key=value ...] -- COMMAND [ARG ...]"');
  const keys = words.slice(1, sep).map((kv): readonly [string, string] => {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new ConfigError(where, `"${kv}" is not key=value (the command goes after --)`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  });
  return buildApp(words[0]!, keys, words.slice(sep + 1), where, dir);
}

/** An app from its name, its keys (as --app writes them) and its command words; errors name `where`. */
export function buildApp(name: string, keys: ReadonlyArray<readonly [string, string]>, command: readonly string[], where: string, dir: string = appRuntimeDir()): AppConfig {
  wrap(where, () => checkAppName(name));
  const d = draft();
  for (const [key, value] of keys) wrap(`${where}: ${key}`, () => applyKey(d, key, value));
  return finish(name, command, d, where, dir);
}

/** Where each route and balancer member names an app (`app:NAME`), for the checks and the implicit php-fpm. */
export function appUses(config: GatewayConfig): Array<{ readonly where: string; readonly app: string }> {
  return [
    ...config.routes.flatMap((r) => (r.target.kind === "fcgi" && r.target.app !== undefined ? [{ where: `route "${r.prefix}"`, app: r.target.app }] : [])),
    ...config.balancers.flatMap((b) => b.members.flatMap((m) => (m.target.app !== undefined ? [{ where: `balancer://${b.name} member ${m.target.text}`, app: m.target.app }] : []))),
  ];
}

/** The JSON file's `"apps": { NAME: { "command": [...], key: value, "env": { NAME: VALUE } } }`. */
export function parseAppsJson(raw: unknown, where: string, dir: string = appRuntimeDir()): AppConfig[] {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(where, "must be an object of NAME: { command, ... }");
  return Object.entries(raw as Record<string, unknown>).map(([name, spec]) => {
    const at = `${where}.${name}`;
    wrap(at, () => checkAppName(name));
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new ConfigError(at, "must be an object with a command");
    const s = spec as Record<string, unknown>;
    const command = s.command ?? (s.kind === "php-fpm" ? [] : undefined);
    if (!Array.isArray(command) || (command.length === 0 && s.kind !== "php-fpm") || !command.every((w) => typeof w === "string")) {
      throw new ConfigError(`${at}.command`, 'required, a list of strings such as ["php-cgi8.2"]');
    }
    const d = draft();
    for (const [key, value] of Object.entries(s)) {
      if (key === "command") continue;
      if (key === "env") {
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigError(`${at}.env`, "must be an object of NAME: VALUE");
        for (const [k, v] of Object.entries(value)) d.env.push([k, wrap(`${at}.env.${k}`, () => scalarText(v))]);
      } else if (key === "env-allow") {
        if (!Array.isArray(value) || !value.every((w) => typeof w === "string")) throw new ConfigError(`${at}.env-allow`, "must be a list of names");
        d.envAllow.push(...(value as string[]));
      } else {
        wrap(`${at}.${key}`, () => applyKey(d, key, scalarText(value)));
      }
    }
    return finish(name, command as string[], d, at, dir);
  });
}

/** Every `app:NAME` a route or balancer member names must be a configured app. */
export function checkAppTargets(uses: ReadonlyArray<{ readonly where: string; readonly app: string }>, apps: readonly AppConfig[]): void {
  for (const t of uses) {
    if (!apps.some((a) => a.name === t.app)) {
      throw new ConfigError(t.where, `app:${t.app} is not defined (add --app "${t.app} -- COMMAND" or an "apps" entry)`);
    }
  }
}

/** Apps with the same name would share a socket. */
export function checkUniqueApps(apps: readonly AppConfig[]): void {
  const seen = new Set<string>();
  for (const a of apps) {
    if (seen.has(a.name)) throw new ConfigError(`app "${a.name}"`, "defined twice");
    seen.add(a.name);
  }
}

function wrap<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw ConfigError.at(where, e);
  }
}

/**
 * Routes and members that name an app get a pool sized to it unless their keys say otherwise: `max` = what
 * the app serves at once (appConcurrency), `smax` one below it, so idle pooled connections never pin every
 * PHP worker (the README's pool rule, smax < pm.max_children), the rule made the default.
 */
export function sizeAppPools(config: GatewayConfig, apps: readonly AppConfig[], cores: number): GatewayConfig {
  const sized = (app: string | undefined, pool: PoolOptions, keys: PoolKeys): PoolOptions => {
    const a = app === undefined ? undefined : apps.find((x) => x.name === app);
    if (a === undefined) return pool;
    const n = appConcurrency(a, cores);
    const written = (k: string) => keys.some((w) => w.key === k);
    return { ...pool, ...(written("max") ? {} : { max: n }), ...(written("smax") ? {} : { smax: n > 1 ? n - 1 : 1 }) };
  };
  return {
    ...config,
    routes: config.routes.map((r) => (r.target.kind === "fcgi" && r.target.app !== undefined ? { ...r, pool: sized(r.target.app, r.pool, r.poolKeys) } : r)),
    balancers: config.balancers.map((b) => ({
      ...b,
      members: b.members.map((m) => (m.target.app !== undefined ? { ...m, pool: sized(m.target.app, m.pool, m.poolKeys) } : m)),
    })),
  };
}

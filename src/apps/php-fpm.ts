// The `php-fpm` app kind: php-fpm found on the PATH (or the given binary), run in the foreground with a pool
// configuration the gateway writes next to the app's socket: listen on that socket only, a clean environment,
// only .php executed, workers' output caught, a graceful stop that lets running requests finish, and the
// status and ping pages on the app's socket (nothing else can reach it).
import { accessSync, constants, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { AppStartError } from "../errors.ts";
import { appConcurrency, type AppConfig } from "./types.ts";

/** Where php-fpm is looked for, after the PATH's directories. */
const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"];
/** Names tried in order: the unversioned one, then Debian's versioned binaries, newest first. */
const NAMES = ["php-fpm", ...["8.4", "8.3", "8.2", "8.1", "8.0", "7.4"].map((v) => `php-fpm${v}`)];

/** The status and ping paths php-fpm answers on the app's socket (issue O reads them). */
export const FPM_STATUS_PATH = "/fpm-status";
export const FPM_PING_PATH = "/fpm-ping";

/** The first php-fpm binary found, or null. */
export function findPhpFpm(path: string | undefined): string | null {
  const dirs = [...(path ?? "").split(":").filter((d) => d !== ""), ...EXTRA_DIRS];
  for (const name of NAMES) {
    for (const dir of dirs) {
      try {
        accessSync(`${dir}/${name}`, constants.X_OK);
        return `${dir}/${name}`;
      } catch {
        // next
      }
    }
  }
  return null;
}

/** An ini value, quoted when it holds anything php-fpm's parser would read otherwise. */
function ini(value: string): string {
  return /^[A-Za-z0-9_./:-]*$/.test(value) ? value : `"${value.replace(/["\\]/g, "")}"`;
}

/** The pool configuration for `app`, logging to `logFile`; `asRoot`: the gateway runs as root. */
export function fpmPoolConfig(app: AppConfig, logFile: string, asRoot: boolean): string {
  const pool = app.fpm!;
  const socket = app.listen.kind === "unix" ? app.listen.path : `${app.listen.host}:${app.listen.port}`;
  const max = appConcurrency(app, availableParallelism());
  // php-fpm lets running requests finish on SIGQUIT for this long; the gateway's SIGKILL comes later.
  const graceS = Math.max(1, Math.floor(app.stopTimeoutMs / 1000) - 1);
  const lines = [
    `; Written by proxy-fcgi for the app "${app.name}" at every start; edit the --app keys instead.`,
    "[global]",
    `error_log = ${ini(logFile)}`,
    "daemonize = no",
    `process_control_timeout = ${graceS}s`,
    `[${app.name}]`,
    `listen = ${ini(socket)}`,
    "listen.mode = 0600",
    ...(asRoot ? [`user = ${ini(pool.user)}`, `group = ${ini(pool.group)}`] : []),
    "pm = dynamic",
    `pm.max_children = ${max}`,
    `pm.start_servers = ${Math.min(2, max)}`,
    "pm.min_spare_servers = 1",
    `pm.max_spare_servers = ${Math.min(3, max)}`,
    `pm.max_requests = ${app.maxRequests ?? 0}`,
    // The gateway's own environment stays out of PHP; the app's env= values go in.
    "clear_env = yes",
    ...app.env.map(([k, v]) => `env[${k}] = ${ini(v)}`),
    "security.limit_extensions = .php",
    "catch_workers_output = yes",
    "decorate_workers_output = no",
    `ping.path = ${FPM_PING_PATH}`,
    `pm.status_path = ${FPM_STATUS_PATH}`,
    "",
  ];
  return lines.join("\n");
}

/** Writes the pool file into `dir` and returns the command that runs php-fpm on it. */
export function phpFpmCommand(app: AppConfig, dir: string, env: Readonly<Record<string, string | undefined>>, asRoot: boolean): string[] {
  const binary = app.command[0] ?? findPhpFpm(env.PATH);
  if (!binary) throw new AppStartError(app.name, "php-fpm not found on the PATH or in /usr/sbin (Debian: apt-get install php8.2-fpm), or give its path after --");
  const conf = `${dir}/${app.name}-fpm.conf`;
  writeFileSync(conf, fpmPoolConfig(app, `${dir}/${app.name}-fpm.log`, asRoot), { mode: 0o600 });
  // -F: in the foreground, our child; -O: its log on stderr, into ours; -R only when the pool is root's own.
  const root = asRoot && app.fpm!.user === "root" ? ["-R"] : [];
  return [binary, "-F", "-O", ...root, "-y", conf, ...app.command.slice(1)];
}

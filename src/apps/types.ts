// A supervised FastCGI application, as configuration hands it over: plain values, every default filled in.
import type { ListenAddress } from "../platform/processes/types.ts";

/**
 * How the app gets its socket: `fd0` — the gateway listens and hands the socket to each child as fd 0
 * (FCGI_LISTENSOCK_FILENO; php-cgi, libfcgi apps, flup); `self` — the app binds the address it is given
 * through `{socket}` in its arguments or environment (php-fpm), and the gateway waits until it accepts.
 */
export type SocketMode = "fd0" | "self";

/** `command`: any FastCGI program; `php-fpm`: php-fpm with a pool configuration the gateway writes (php-fpm.ts). */
export type AppKind = "command" | "php-fpm";

/** The pool settings of a `php-fpm` app. */
export interface FpmPool {
  /** pm.max_children; null: twice the machine's cores, at least 2. */
  readonly maxChildren: number | null;
  /** The pool's user and group when the gateway runs as root (php-fpm refuses to run PHP as root otherwise). */
  readonly user: string;
  readonly group: string;
}

export interface AppConfig {
  readonly name: string;
  readonly kind: AppKind;
  /** kind php-fpm: its pool; null otherwise. */
  readonly fpm: FpmPool | null;
  /** A command app's user and group (the gateway must run as root; util-linux's setpriv drops to them). */
  readonly runAs: { readonly user: string; readonly group: string } | null;
  /** The program and its arguments; `{socket}` and `{name}` are filled in at start. Empty for a php-fpm app that
   * lets the gateway find php-fpm on the PATH. */
  readonly command: readonly string[];
  readonly socket: SocketMode;
  /** Where it listens (a private Unix socket unless configured otherwise). */
  readonly listen: ListenAddress;
  /** Children sharing the socket (fd0 only; a self-bound address takes one). */
  readonly count: number;
  /** Variables set for the app (values may use the placeholders). */
  readonly env: ReadonlyArray<readonly [string, string]>;
  /** Names passed through from the gateway's own environment when set there. */
  readonly envAllow: readonly string[];
  readonly cwd: string | undefined;
  /** The signal that stops it gracefully (php-fpm: SIGQUIT). */
  readonly stopSignal: string;
  /** After the stop signal, how long before SIGKILL, ms. */
  readonly stopTimeoutMs: number;
  /** socket=self: how long the app may take to accept its first connection, ms. */
  readonly startTimeoutMs: number;
  /** PHP_FCGI_MAX_REQUESTS for apps that recycle themselves after so many requests (php-cgi); null: unset. */
  readonly maxRequests: number | null;
  /** fd0: each process is replaced (new before old) after running this long, ms; null: never. */
  readonly maxLifetimeMs: number | null;
  /** PHP_FCGI_CHILDREN: workers a php-cgi forks on the socket; null: unset. */
  readonly children: number | null;
}

/** Crashes closer together than this count towards the crash-loop limit, ms. */
export const CRASH_WINDOW_MS = 60_000;
/** Crashes within CRASH_WINDOW_MS after which the app is marked failed. */
export const CRASH_LIMIT = 5;
/** First restart delay after a crash, doubled per crash up to RESTART_MAX_MS, ms. */
export const RESTART_BASE_MS = 250;
export const RESTART_MAX_MS = 30_000;

/**
 * How many requests the app serves at once: a php-fpm pool's pm.max_children (default twice the cores, at
 * least 2), else `count` processes × their PHP_FCGI_CHILDREN workers (one when unset).
 */
export function appConcurrency(app: AppConfig, cores: number): number {
  if (app.kind === "php-fpm") return app.fpm?.maxChildren ?? Math.max(2, 2 * cores);
  return app.count * Math.max(1, app.children ?? 1);
}

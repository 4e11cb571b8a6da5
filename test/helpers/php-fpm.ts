// A private PHP-FPM for integration tests: its own config, logs and docroot in a fresh temp dir, one pool on
// 127.0.0.1:<free port> and one on a Unix socket, both pm=static so workers exist before the first request.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { findExecutable, onFreePort, spawnDaemon, waitUntilListening } from "./daemon.ts";
import { copyFixtures, makeTempDir, removeDir } from "./fixtures.ts";

export const PHP_FPM_BINARY: string | undefined = findExecutable([process.env.PHP_FPM_BIN, "php-fpm8.2", "php-fpm"]);

/** Why the PHP-FPM suites cannot run here, or undefined when they can. */
export function phpFpmMissing(): string | undefined {
  return PHP_FPM_BINARY ? undefined : "php-fpm8.2 is not installed (Debian: apt-get install php8.2-fpm)";
}

/** The FPM status page, answered by the TCP pool (pm.status_path). */
export const FPM_STATUS_PATH = "/fpm-status";

export interface PhpFpm {
  /** The TCP pool's port on 127.0.0.1. */
  readonly port: number;
  /** The Unix socket pool's path. */
  readonly socketPath: string;
  /** Where test/fixtures/php/*.php were copied; absolute, no trailing slash. */
  readonly docroot: string;
  readonly dir: string;
  /** FPM's own error log (worker output is caught into it). */
  log(): string;
  /** Stops the master (its workers with it), awaits its exit and removes the temp dir. */
  close(): Promise<void>;
}

export interface PhpFpmOptions {
  /** Workers in the TCP pool (default 6: tests leave a sleeping worker behind after a timeout). */
  readonly tcpChildren?: number;
  /** Workers in the Unix socket pool (default 2). */
  readonly unixChildren?: number;
  /** pm.max_requests of the TCP pool: each child exits after this many requests (default 0: never). */
  readonly maxRequests?: number;
}

/*
 * php.ini handling: -n ignores the system php.ini and conf.d (Debian's production ini sets
 * output_buffering=4096, which would hold flushed output back), and every setting the tests depend on is
 * given here with -d, so results do not depend on the host's PHP configuration.
 */
const INI: ReadonlyArray<readonly [string, string]> = [
  ["output_buffering", "0"], // stream.php: flush() must reach the socket at once
  ["zlib.output_compression", "0"],
  ["implicit_flush", "0"],
  ["fastcgi.logging", "1"], // error_log() goes out as FCGI_STDERR, not to FPM's log
  ["log_errors", "1"],
  ["display_errors", "0"], // PHP warnings must not land in the response bodies we compare
  ["error_reporting", "-1"],
  ["cgi.fix_pathinfo", "1"], // PHP derives SCRIPT_NAME / PATH_INFO itself (httpd-tests case 6)
  ["post_max_size", "64M"], // the 10 MiB upload; over this PHP would drop php://input
  ["memory_limit", "128M"],
  ["max_execution_time", "30"],
  ["date.timezone", "UTC"],
];

function pool(name: string, listen: string, children: number, extra = ""): string {
  return `
[${name}]
listen = ${listen}
${extra}listen.backlog = 128
pm = static
pm.max_children = ${children}
ping.path = /ping
ping.response = pong
pm.status_path = ${FPM_STATUS_PATH}
catch_workers_output = yes
decorate_workers_output = no
clear_env = yes
`;
}

export async function startPhpFpm(options: PhpFpmOptions = {}): Promise<PhpFpm> {
  const binary = PHP_FPM_BINARY;
  if (!binary) throw new Error(phpFpmMissing());
  const dir = makeTempDir("fpm");
  try {
    const docroot = copyFixtures("php", join(dir, "docroot"));
    const socketPath = join(dir, "fpm.sock");
    const logFile = join(dir, "php-fpm.log");
    const configFile = join(dir, "php-fpm.conf");
    const log = () => {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    };
    return await onFreePort(async (port) => {
      writeFileSync(configFile, `[global]
pid = ${join(dir, "php-fpm.pid")}
error_log = ${logFile}
log_level = notice
daemonize = no
${pool("tcp", `127.0.0.1:${port}`, options.tcpChildren ?? 6, options.maxRequests ? `pm.max_requests = ${options.maxRequests}\n` : "")}
${pool("unix", socketPath, options.unixChildren ?? 2, "listen.mode = 0600\n")}`);
      // -F: stay in the foreground as our child; -R: we run as root in CI and containers, and the pools have
      // no `user`, so FPM must be told that running them as root is intended.
      const args = ["-F", "-R", "-n", "-y", configFile];
      for (const [k, v] of INI) args.push("-d", `${k}=${v}`);
      const daemon = spawnDaemon({ name: "php-fpm", command: binary, args, cwd: dir });
      try {
        await waitUntilListening(daemon, [{ port }, { path: socketPath }], 10_000, () => `\n--- php-fpm.log ---\n${log()}`);
      } catch (e) {
        await daemon.stop();
        throw e;
      }
      return {
        port,
        socketPath,
        docroot,
        dir,
        log,
        async close() {
          await daemon.stop();
          removeDir(dir);
        },
      };
    });
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

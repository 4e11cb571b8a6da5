// A private MariaDB for the WordPress tests: a fresh data directory in a temp dir, its own option file (no
// /etc/mysql), no TCP at all (only a Unix socket), and one database with one password user that PHP's
// mysqli can log in as over that socket. Small InnoDB settings and no durability: it starts in well under
// a second and holds a test install only.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { findExecutable, spawnDaemon, waitUntilListening } from "./daemon.ts";
import { removeDir } from "./fixtures.ts";
import { makeRamTempDir } from "./ram-temp-dir.ts";

/** The server binary (MARIADBD_BIN overrides). */
export const MARIADBD_BINARY: string | undefined = findExecutable([process.env.MARIADBD_BIN, "mariadbd", "mysqld"]);
/** Creates the system tables of a new data directory. */
export const MARIADB_INSTALL_DB: string | undefined = findExecutable(["mariadb-install-db", "mysql_install_db"]);

/** The database and the account WordPress uses (the account may log in from localhost, i.e. the socket). */
export const DB_NAME = "wordpress";
export const DB_USER = "wordpress";
export const DB_PASSWORD = "wordpress";

/** Why a private MariaDB cannot be started here, or undefined when it can. */
export function mariaDbMissing(): string | undefined {
  if (!MARIADBD_BINARY) return "mariadbd is not installed (Debian: apt-get install mariadb-server)";
  if (!MARIADB_INSTALL_DB) return "mariadb-install-db is not installed (Debian: apt-get install mariadb-server)";
  return undefined;
}

export interface MariaDb {
  /** The server's only listener. */
  readonly socketPath: string;
  readonly dir: string;
  /** The server's error log so far, for failure messages. */
  log(): string;
  /** Shuts the server down (SIGTERM: a clean InnoDB shutdown), awaits its exit and removes the temp dir. */
  close(): Promise<void>;
}

/** The option file for both mariadb-install-db and mariadbd, so the data files match the server's settings. */
function optionFile(dir: string, socketPath: string): string {
  return `[mariadbd]
datadir = ${join(dir, "data")}
socket = ${socketPath}
pid-file = ${join(dir, "mariadbd.pid")}
log-error = ${join(dir, "error.log")}
# We run as root in CI and containers; mariadbd refuses root unless told it is intended.
user = root
skip-networking
skip-name-resolve
# Lean: a test install is a few MiB, and nothing here needs to survive a crash.
innodb-buffer-pool-size = 16M
innodb-log-file-size = 4M
innodb-log-buffer-size = 2M
innodb-temp-data-file-path = ibtmp1:1M:autoextend
innodb-flush-log-at-trx-commit = 0
innodb-doublewrite = 0
innodb-fast-shutdown = 2
innodb-buffer-pool-load-at-startup = 0
innodb-buffer-pool-dump-at-shutdown = 0
# libaio / io_uring is not always allowed in containers; plain pread/pwrite always is.
innodb-use-native-aio = 0
performance-schema = OFF
max-connections = 32
table-open-cache = 200
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
`;
}

/** Starts a private MariaDB with database `wordpress` and user `wordpress`/`wordpress` on a Unix socket. */
export async function startMariaDb(): Promise<MariaDb> {
  const problem = mariaDbMissing();
  if (problem) throw new Error(problem);
  const dir = makeRamTempDir("mariadb");
  try {
    const socketPath = join(dir, "mysql.sock");
    const configFile = join(dir, "my.cnf");
    const logFile = join(dir, "error.log");
    const log = () => {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    };
    writeFileSync(configFile, optionFile(dir, socketPath));
    // --defaults-file must come first. "normal" root auth (no unix_socket plugin) and no test database: the
    // server only ever needs the grant tables and the account created below.
    const install = spawnSync(MARIADB_INSTALL_DB!, [
      `--defaults-file=${configFile}`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      "--skip-name-resolve",
    ], { cwd: dir, encoding: "utf8", env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" }, timeout: 30_000 });
    if (install.status !== 0) {
      throw new Error(`mariadb-install-db failed (${install.status ?? install.error?.message}):\n${install.stdout}${install.stderr}\n${log()}`);
    }
    // --init-file runs before the server accepts connections, so once the socket answers the account exists.
    const initFile = join(dir, "init.sql");
    writeFileSync(initFile, `CREATE DATABASE IF NOT EXISTS ${DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
GRANT ALL PRIVILEGES ON ${DB_NAME}.* TO '${DB_USER}'@'localhost';
`);
    const daemon = spawnDaemon({
      name: "mariadbd",
      command: MARIADBD_BINARY!,
      args: [`--defaults-file=${configFile}`, `--init-file=${initFile}`],
      cwd: dir,
    });
    try {
      await waitUntilListening(daemon, [{ path: socketPath }], 15_000, () => `\n--- error.log ---\n${log()}`);
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    return {
      socketPath,
      dir,
      log,
      async close() {
        await daemon.stop(5000);
        removeDir(dir);
      },
    };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

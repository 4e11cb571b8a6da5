// A private fcgiwrap for integration tests: test/fixtures/cgi/*.sh copied into a temp docroot, one fcgiwrap
// on 127.0.0.1:<free port> and one on a Unix socket in the temp dir.
//
// fcgiwrap binds the socket itself with `-s`. It runs as a single process: with `-c N` it preforks and its
// parent exits on SIGTERM leaving the children listening, which would leak processes past the test file.
// `-f` forwards the scripts' stderr as FCGI_STDERR. fcgiwrap has no root check, so nothing is needed for root.
import { join } from "node:path";
import process from "node:process";
import { findExecutable, onFreePort, spawnDaemon, waitUntilListening, type Daemon } from "./daemon.ts";
import { copyFixtures, makeTempDir, removeDir } from "./fixtures.ts";

export const FCGIWRAP_BINARY: string | undefined = findExecutable([process.env.FCGIWRAP_BIN, "fcgiwrap"]);

/** Why the fcgiwrap suites cannot run here, or undefined when they can. */
export function fcgiwrapMissing(): string | undefined {
  return FCGIWRAP_BINARY ? undefined : "fcgiwrap is not installed (Debian: apt-get install fcgiwrap)";
}

export interface Fcgiwrap {
  readonly port: number;
  readonly socketPath: string;
  /** Where the CGI fixtures were copied (executable); absolute, no trailing slash. */
  readonly docroot: string;
  /** Stops both instances, awaits their exit and removes the temp dir. */
  close(): Promise<void>;
}

/** The only environment fcgiwrap (and so every CGI script) inherits: tests can tell ours from the request's. */
export const FCGIWRAP_ENV: Readonly<Record<string, string>> = { PATH: "/usr/bin:/bin" };

async function startOne(binary: string, socket: string, address: { port: number } | { path: string }): Promise<Daemon> {
  const daemon = spawnDaemon({ name: `fcgiwrap ${socket}`, command: binary, args: ["-f", "-s", socket], env: { ...FCGIWRAP_ENV } });
  try {
    await waitUntilListening(daemon, [address]);
  } catch (e) {
    await daemon.stop();
    throw e;
  }
  return daemon;
}

export async function startFcgiwrap(): Promise<Fcgiwrap> {
  const binary = FCGIWRAP_BINARY;
  if (!binary) throw new Error(fcgiwrapMissing());
  const dir = makeTempDir("cgi");
  const daemons: Daemon[] = [];
  const stopAll = async () => {
    await Promise.all(daemons.map((d) => d.stop()));
    removeDir(dir);
  };
  try {
    const docroot = copyFixtures("cgi", join(dir, "docroot"), 0o755);
    const socketPath = join(dir, "fcgiwrap.sock");
    daemons.push(await startOne(binary, `unix:${socketPath}`, { path: socketPath }));
    let port = 0;
    daemons.push(await onFreePort(async (p) => {
      port = p;
      return startOne(binary, `tcp:127.0.0.1:${p}`, { port: p });
    }));
    return { port, socketPath, docroot, close: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

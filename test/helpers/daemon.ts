// Real backends (php-fpm, fcgiwrap, the libfcgi app) as child processes: find the binary, start it on a free
// port, wait until its sockets accept, and stop it (SIGTERM, then SIGKILL) awaiting the exit, so no process
// outlives its test file. node:child_process and node:net behave the same on Node, Deno and Bun.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { connect, createServer } from "node:net";
import { delimiter, join } from "node:path";
import process from "node:process";

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** What it wrote to stdout and stderr so far (capped), for failure messages. */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the child: backends should not see ours. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** Where to look besides PATH: Debian puts daemons in sbin, which a non-root PATH may lack. */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** The first candidate that is an executable file (names are looked up in PATH and the sbin dirs). */
export function findExecutable(candidates: ReadonlyArray<string | undefined>): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== ""), ...EXTRA_DIRS];
  for (const c of candidates) {
    if (!c) continue;
    const paths = c.includes("/") ? [c] : dirs.map((d) => join(d, c));
    for (const p of paths) {
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const OUTPUT_CAP = 64 * 1024;

export function spawnDaemon(spec: DaemonSpec): Daemon {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? { PATH: "/usr/local/bin:/usr/bin:/bin" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Uint8Array | string) => {
    if (output.length < OUTPUT_CAP) output += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      if (code !== null && code !== 0) collect(`\n[${spec.name} exited with code ${code}]`);
      else if (signal && signal !== "SIGTERM") collect(`\n[${spec.name} killed by ${signal}]`);
      resolve();
    });
    child.once("error", (e) => {
      // spawn failed (ENOENT, EACCES): there will be no "exit"
      spawnError = e;
      exited = true;
      collect(`\n[${spec.name} could not start: ${e.message}]`);
      resolve();
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name: spec.name,
    pid: child.pid ?? -1,
    get exited() {
      return exited;
    },
    output: () => output,
    stop(graceMs = 3000) {
      return (stopping ??= (async () => {
        if (!exited && !spawnError) {
          child.kill("SIGTERM");
          let timer: ReturnType<typeof setTimeout> | undefined;
          const killed = await Promise.race([
            exit.then(() => false),
            new Promise<boolean>((r) => (timer = setTimeout(r, graceMs, true))),
          ]);
          clearTimeout(timer);
          if (killed) child.kill("SIGKILL");
          await exit;
        }
        // Grandchildren (php-fpm workers, CGI scripts) may still hold the pipes: do not wait for them.
        child.stdout?.destroy();
        child.stderr?.destroy();
      })());
    },
  };
}

/** A TCP port nobody listens on right now (the OS's pick for port 0, released again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type Address = { readonly port: number } | { readonly path: string };

function tryConnect(address: Address): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = "port" in address ? connect(address.port, "127.0.0.1") : connect(address.path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export class DaemonStartError extends Error {}

/** Polls until every address accepts a connection; fails at once if the daemon exits first. */
export async function waitUntilListening(daemon: Daemon, addresses: readonly Address[], ms = 10_000, diagnostics = () => ""): Promise<void> {
  const end = Date.now() + ms;
  for (const address of addresses) {
    for (;;) {
      if (daemon.exited) throw new DaemonStartError(`${daemon.name} exited before listening\n${daemon.output()}${diagnostics()}`);
      if (await tryConnect(address)) break;
      if (Date.now() > end) {
        throw new DaemonStartError(`${daemon.name} did not listen on ${JSON.stringify(address)} within ${ms} ms\n${daemon.output()}${diagnostics()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Runs `attempt` with a fresh free port, again with another port if it fails: between freePort() and the
 * daemon's bind another process may take the port. The last error is thrown.
 */
export async function onFreePort<T>(attempt: (port: number) => Promise<T>, tries = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await attempt(await freePort());
    } catch (e) {
      last = e;
      if (!(e instanceof DaemonStartError)) break;
    }
  }
  throw last;
}

// A private Apache httpd for differential tests: started from a generated config in a fresh temp dir, in the
// foreground, and stopped (and its temp dir removed) by close(). Uses node:child_process, which Node, Deno
// and Bun all provide.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./daemon.ts";
export { freePort };

export const APACHE_BINARY = "/usr/sbin/apache2";
const MODULE_DIR = "/usr/lib/apache2/modules";

/** Modules every instance loads: a bare 2.4 server needs an MPM and authz_core; setenvif sets proxy-fcgi-pathinfo. */
const BASE_MODULES = ["mpm_event", "authz_core", "proxy", "proxy_fcgi", "setenvif"];

export interface ApacheContext {
  /** The instance's temp dir (mode 0755, so the unprivileged children can read it). */
  readonly dir: string;
  readonly port: number;
}

export interface ApacheOptions {
  /** Directives appended after the generated base config (ProxyPass lines, <Location> blocks, ...). */
  readonly config: (ctx: ApacheContext) => string;
  /** Extra modules to load, by short name (`headers` for mod_headers.so). */
  readonly modules?: readonly string[];
  /** Called with the temp dir before Apache starts (to create a DocumentRoot, sockets, ...). */
  readonly prepare?: (ctx: ApacheContext) => void | Promise<void>;
  /** How long to wait for the first answer. */
  readonly startTimeoutMs?: number;
}

export interface ApacheServer extends ApacheContext {
  /** `Apache/2.4.x (Debian)`, from `apache2 -v`. */
  readonly version: string;
  readonly url: string;
  /** The error log so far, for failure messages. */
  errorLog(): string;
  /** Stops Apache (SIGTERM, then SIGKILL after a grace period), waits for it to exit, removes the temp dir. */
  close(): Promise<void>;
}

/**
 * Why Apache cannot be used here, or undefined when it can. Without it, a test skips, except in CI
 * (CI=true), where the suite must not pass silently without its differential tests.
 */
export function apacheUnavailable(): string | undefined {
  if (process.platform === "win32") return "Apache differential tests need a Unix host";
  if (!existsSync(APACHE_BINARY)) return `${APACHE_BINARY} not found (apt-get install apache2)`;
  for (const m of BASE_MODULES) {
    if (!existsSync(join(MODULE_DIR, `mod_${m}.so`))) return `${MODULE_DIR}/mod_${m}.so not found`;
  }
  return undefined;
}

export function apacheVersion(): string {
  const out = spawnSync(APACHE_BINARY, ["-v"], { encoding: "utf8" });
  return /Server version:\s*(.+)/.exec(out.stdout ?? "")?.[1]?.trim() ?? "unknown";
}


export async function startApache(options: ApacheOptions): Promise<ApacheServer> {
  const problem = apacheUnavailable();
  if (problem) throw new Error(problem);
  const dir = mkdtempSync(join(tmpdir(), "proxy-fcgi-apache-"));
  // Apache starts as root and its children drop to www-data; they must be able to reach files in here.
  chmodSync(dir, 0o755);
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let exitStatus: number | string | undefined;
  const hasExited = () => exitStatus !== undefined;
  let output = "";
  const errorLog = () => {
    let log = "";
    try {
      log = readFileSync(join(dir, "error.log"), "utf8");
    } catch {
      // not written yet
    }
    return (output ? `${output}\n` : "") + log;
  };
  try {
    const port = await freePort();
    const ctx: ApacheContext = { dir, port };
    await options.prepare?.(ctx);
    mkdirSync(join(dir, "run"), { mode: 0o755 });
    const conf = join(dir, "httpd.conf");
    writeFileSync(conf, baseConfig(ctx, [...BASE_MODULES, ...(options.modules ?? [])]) + options.config(ctx) + "\n");

    const proc = spawn(APACHE_BINARY, ["-f", conf, "-DFOREGROUND"], {
      stdio: ["ignore", "pipe", "pipe"],
      // A fixed, small environment: Apache passes its PATH on to every backend.
      env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" },
    });
    child = proc;
    proc.stdout?.setEncoding("utf8").on("data", (s: string) => { output += s; });
    proc.stderr?.setEncoding("utf8").on("data", (s: string) => { output += s; });
    exited = new Promise<void>((resolve) => {
      proc.once("exit", (code, signal) => {
        exitStatus = code ?? signal ?? "exited";
        resolve();
      });
      proc.once("error", (e) => {
        exitStatus = String(e);
        resolve();
      });
    });

    const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
    while (!(await answers(port))) {
      if (hasExited()) throw new Error(`apache2 exited (${exitStatus}) before answering:\n${errorLog()}`);
      if (Date.now() > deadline) throw new Error(`apache2 did not answer on port ${port}:\n${errorLog()}`);
      await new Promise((r) => setTimeout(r, 25));
    }

    const done = exited;
    return {
      dir,
      port,
      url: `http://127.0.0.1:${port}`,
      version: apacheVersion(),
      errorLog,
      close: async () => {
        await stop(proc, done, hasExited);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child && exited) await stop(child, exited, hasExited);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function baseConfig(ctx: ApacheContext, modules: readonly string[]): string {
  const { dir, port } = ctx;
  const asRoot = process.getuid?.() === 0;
  return [
    `# Generated by test/helpers/apache.ts`,
    `ServerRoot "/etc/apache2"`,
    ...[...new Set(modules)].map((m) => `LoadModule ${m}_module ${MODULE_DIR}/mod_${m}.so`),
    `Listen 127.0.0.1:${port}`,
    // With a port here, a Host header without one gives SERVER_PORT = this port (ap_get_server_port), as the
    // listener port does in proxy-fcgi; without it Apache would report the scheme default, 80.
    `ServerName 127.0.0.1:${port}`,
    `PidFile "${dir}/httpd.pid"`,
    `ErrorLog "${dir}/error.log"`,
    `LogLevel warn`,
    `DefaultRuntimeDir "${dir}/run"`,
    `Mutex "file:${dir}/run" default`,
    // Root drops to www-data in the children (mod_unixd); as another user Apache keeps running as that user.
    ...(asRoot ? [`User www-data`, `Group www-data`] : []),
    // Small and fast to stop: one process, a few threads.
    `StartServers 1`,
    `ServerLimit 1`,
    `ThreadsPerChild 8`,
    `MaxRequestWorkers 8`,
    `MinSpareThreads 1`,
    `MaxSpareThreads 8`,
    `KeepAlive Off`,
    `Timeout 10`,
    `GracefulShutdownTimeout 1`,
    `<Directory />`,
    `  Require all denied`,
    `</Directory>`,
    `<Location />`,
    `  Require all granted`,
    `</Location>`,
    ``,
  ].join("\n");
}

/** Does something accept a TCP connection and send an HTTP status line on this port? */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let got = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.setEncoding("latin1");
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("OPTIONS * HTTP/1.0\r\n\r\n"));
    socket.on("data", (s: string) => {
      got += s;
      if (got.includes("\r\n")) done(got.startsWith("HTTP/"));
    });
    socket.once("end", () => done(got.startsWith("HTTP/")));
  });
}

async function stop(proc: ChildProcess, exited: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (!hasExited()) {
    proc.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        proc.kill("SIGKILL");
        resolve();
      }, 5000);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
  }
  await exited;
  proc.stdout?.destroy();
  proc.stderr?.destroy();
}

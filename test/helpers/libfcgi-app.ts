// test/backends/fcgi-echo.c, compiled against libfcgi into a temp dir and started on 127.0.0.1:<free port>.
import { execFile } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { findExecutable, isReadable, onFreePort, spawnDaemon, waitUntilListening } from "./daemon.ts";
import { backendSourcePath, makeTempDir, removeDir } from "./fixtures.ts";

export const CC_BINARY: string | undefined = findExecutable([process.env.CC, "cc", "gcc", "clang"]);
const FCGI_HEADER = "/usr/include/fcgiapp.h";

/** Why the libfcgi suite cannot run here, or undefined when it can. */
export function libfcgiMissing(): string | undefined {
  if (!CC_BINARY) return "no C compiler (cc) is installed (Debian: apt-get install gcc libc6-dev)";
  if (!isReadable(FCGI_HEADER)) return `libfcgi-dev is not installed (${FCGI_HEADER} is missing; Debian: apt-get install libfcgi-dev)`;
  return undefined;
}

export interface LibfcgiApp {
  readonly port: number;
  /** Stops the app, awaits its exit and removes the temp dir with the binary. */
  close(): Promise<void>;
}

function compile(cc: string, source: string, output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cc, ["-O2", "-Wall", "-pthread", "-o", output, source, "-lfcgi"], (error, _stdout, stderr) => {
      if (error) reject(new Error(`compiling ${source} failed: ${error.message}\n${stderr}`));
      else resolve();
    });
  });
}

export async function startLibfcgiApp(options: { threads?: number } = {}): Promise<LibfcgiApp> {
  const cc = CC_BINARY;
  const missing = libfcgiMissing();
  if (!cc || missing) throw new Error(missing);
  const dir = makeTempDir("libfcgi");
  try {
    const binary = join(dir, "fcgi-echo");
    await compile(cc, backendSourcePath("fcgi-echo.c"), binary);
    return await onFreePort(async (port) => {
      const daemon = spawnDaemon({
        name: "fcgi-echo",
        command: binary,
        args: [`127.0.0.1:${port}`, String(options.threads ?? 32)],
        env: { PATH: "/usr/bin:/bin" },
      });
      try {
        await waitUntilListening(daemon, [{ port }]);
      } catch (e) {
        await daemon.stop();
        throw e;
      }
      return {
        port,
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

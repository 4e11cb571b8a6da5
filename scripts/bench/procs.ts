// Every process the benchmark starts goes through here, so that one call stops them all: at the end, on an
// error, and on SIGINT. A process is stopped by its own pid (SIGTERM, then SIGKILL), and whatever it left
// behind in its process tree (Apache children, php-fpm workers) is stopped by pid too.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { processTree } from "./proc-stats.ts";

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly exited: boolean;
  /** stdout and stderr so far (capped), or a note that they go to a file. */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`, then SIGKILL for any descendant still alive; idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Send stdout and stderr to this file instead of a pipe (a proxy's log). */
  readonly logFile?: string;
}

const OUTPUT_CAP = 64 * 1024;
const started = new Set<Proc>();

export const BASE_ENV: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C",
};

export function startProcess(spec: SpawnSpec): Proc {
  const logFd = spec.logFile ? openSync(spec.logFile, "a") : undefined;
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? BASE_ENV,
      stdio: logFd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", logFd, logFd],
    });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  let output = logFd === undefined ? "" : `(output in ${spec.logFile})\n`;
  const collect = (chunk: Uint8Array | string) => {
    if (output.length < OUTPUT_CAP) output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      if (code) collect(`\n[${spec.name} exited with code ${code}]`);
      else if (signal && signal !== "SIGTERM") collect(`\n[${spec.name} killed by ${signal}]`);
      resolve();
    });
    child.once("error", (e) => {
      exited = true;
      collect(`\n[${spec.name} could not start: ${e.message}]`);
      resolve();
    });
  });
  let stopping: Promise<void> | undefined;
  const proc: Proc = {
    name: spec.name,
    pid: child.pid ?? -1,
    get exited() {
      return exited;
    },
    output: () => output,
    stop(graceMs = 5000) {
      return (stopping ??= (async () => {
        // Descendants first noted, so that ones the parent fails to reap can be stopped by pid afterwards.
        const tree = exited || proc.pid < 0 ? [] : processTree(proc.pid).filter((p) => p !== proc.pid);
        if (!exited) {
          child.kill("SIGTERM");
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = await Promise.race([
            exit.then(() => false),
            new Promise<boolean>((r) => (timer = setTimeout(r, graceMs, true))),
          ]);
          clearTimeout(timer);
          if (late) child.kill("SIGKILL");
          await exit;
        }
        for (const pid of tree) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        child.stdout?.destroy();
        child.stderr?.destroy();
        started.delete(proc);
      })());
    },
  };
  started.add(proc);
  return proc;
}

/** Stops every process still running, newest first (proxies before their backends). */
export async function stopAll(): Promise<void> {
  for (const p of [...started].reverse()) await p.stop(3000);
}

/** Runs a command to completion with a time bound; resolves with its exit code and output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; env?: Record<string, string>; cwd?: string; inherit?: boolean },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? { ...BASE_ENV, HOME: process.env.HOME ?? "/root" },
      stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      stderr += `\n[${command} timed out after ${options.timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + e.message });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

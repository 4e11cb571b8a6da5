// Child processes through node:child_process, which Node, Deno and Bun all run: detached (setsid), so each
// app is the leader of its own process group and a signal to the group reaches its workers too; stdout and
// stderr read as lines.
//
// No runtime exposes PR_SET_PDEATHSIG, and util-linux's `setpriv --pdeathsig` reaches only the leader (a
// php-cgi's workers would keep serving, orphaned). So each child gets a guard: a `sh` blocked reading a pipe
// whose other end only the gateway holds. If the gateway dies, even by kill -9, the kernel closes that end,
// `read` returns, and the guard kills the child's whole process group. On a normal stop the gateway kills the
// guard itself once the group is gone.
import { spawn } from "node:child_process";
import type { Child, ChildExit, ChildOutput, ChildSpec } from "./types.ts";

/** The guard: waits for EOF on stdin (the gateway gone), then SIGKILLs process group $1. */
const GUARD = 'read x; kill -9 "-$1" 2>/dev/null';

/** Longest line kept whole; longer output is passed on in pieces of this size. */
const MAX_LINE = 16 * 1024;

/** Starts `spec`; its lines go to `output`. */
export function spawnChild(spec: ChildSpec, output: ChildOutput): Child {
  const child = spawn(spec.command, [...spec.args], {
    env: { ...spec.env },
    ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
    stdio: [spec.stdinFd ?? "ignore", "pipe", "pipe"],
    detached: true,
  });
  let resolveExit!: (e: ChildExit) => void;
  const exited = new Promise<ChildExit>((resolve) => (resolveExit = resolve));
  let gone = false;
  // "error" without "exit" when the command cannot be started (ENOENT, EACCES).
  child.once("error", (e: NodeJS.ErrnoException) => {
    if (gone) return;
    gone = true;
    output("stderr", `cannot start ${spec.command}: ${e.code ?? e.message}`);
    resolveExit({ code: 127, signal: null });
  });
  child.once("exit", (code, signal) => {
    if (gone) return;
    gone = true;
    resolveExit({ code, signal });
  });
  lines(child.stdout, (l) => output("stdout", l));
  lines(child.stderr, (l) => output("stderr", l));
  const pid = child.pid ?? -1;
  const guard = pid > 0 ? startGuard(pid) : null;
  return {
    pid,
    exited,
    release() {
      if (guard === null) return;
      try {
        guard.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
    // Also after the leader exited: its workers may still be in the group (a PID is not reused while it names
    // a process group), which is how a stop makes sure none is left.
    signalGroup(signal) {
      if (pid <= 0) return false;
      try {
        process.kill(-pid, signal as NodeJS.Signals);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function startGuard(pgid: number): ReturnType<typeof spawn> | null {
  try {
    const guard = spawn("/bin/sh", ["-c", GUARD, "proxy-fcgi-guard", String(pgid)], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    guard.on("error", () => {});
    guard.stdin?.on("error", () => {});
    // Neither the guard nor its pipe may keep the gateway's event loop alive.
    guard.unref();
    (guard.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return guard;
  } catch {
    return null;
  }
}

function lines(stream: NodeJS.ReadableStream | null, each: (line: string) => void): void {
  if (!stream) return;
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      each(pending.slice(0, nl).replace(/\r$/, ""));
      pending = pending.slice(nl + 1);
    }
    while (pending.length > MAX_LINE) {
      each(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
  });
  stream.on("end", () => {
    if (pending !== "") each(pending);
    pending = "";
  });
  stream.on("error", () => {});
}

// Loopback ports: a free one to listen on, and waiting until a server answers on it.
import { connect, createServer } from "node:net";
import type { Proc } from "./procs.ts";

export const HOST = "127.0.0.1";

/** A port nobody listens on now (the kernel's pick for port 0, released again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const timer = setTimeout(() => done(false), 1000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Waits until `port` accepts connections; fails early if `proc` exits, and after `timeoutMs`. */
export async function waitForPort(port: number, proc: Proc, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await accepts(port)) return;
    if (proc.exited) throw new Error(`${proc.name} exited before listening on ${port}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${proc.name} did not listen on ${port} within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One HTTP GET with a time bound: status and body, for start-up checks. */
export async function httpGet(port: number, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${HOST}:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

// A listening socket made with libc's socket/bind/listen through a runtime's FFI (Bun, Deno): the runtime
// never watches the descriptor, so the gateway holds it without accepting on it, and children get it as fd 0.
import { chmodSync, renameSync, unlinkSync } from "node:fs";
import { AF_UNIX, SO_REUSEADDR, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET, inetSockaddr, sockaddrPort, unixSockaddr } from "./sockaddr.ts";
import type { ListenAddress, ListeningSocket } from "./types.ts";

/** The libc calls, as each runtime's FFI binds them; `errno()` right after a failed call. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  listen(fd: number, backlog: number): number;
  getsockname(fd: number, address: Uint8Array, length: Uint8Array): number;
  close(fd: number): number;
  errno(): number;
}

/** The libc functions used, as each FFI describes them: argument kinds and result ("buffer": a Uint8Array). */
export const LIBC_SYMBOLS = {
  socket: { args: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { args: ["i32", "buffer", "u32"], result: "i32" },
  listen: { args: ["i32", "i32"], result: "i32" },
  getsockname: { args: ["i32", "buffer", "buffer"], result: "i32" },
  close: { args: ["i32"], result: "i32" },
  __errno_location: { args: [], result: "pointer" },
} as const;

/** A Libc over an FFI's bound symbols (`call(name, ...args)`) and its way to read errno. */
export function libcOver(call: (name: keyof typeof LIBC_SYMBOLS, ...args: unknown[]) => number, errno: () => number): Libc {
  return {
    socket: (d, t, p) => call("socket", d, t, p),
    setsockopt: (fd, l, n, v, len) => call("setsockopt", fd, l, n, v, len),
    bind: (fd, a, len) => call("bind", fd, a, len),
    listen: (fd, b) => call("listen", fd, b),
    getsockname: (fd, a, len) => call("getsockname", fd, a, len),
    close: (fd) => call("close", fd),
    errno,
  };
}

const ERRNO_NAMES: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 13: "EACCES", 20: "ENOTDIR", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL" };

/** A socket call that failed, with errno's name (what node:net would call its `code`). */
export class SocketCallError extends Error {
  readonly code: string;
  constructor(call: string, errno: number, where: string) {
    const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    super(`${call} ${where}: ${code}`);
    this.code = code;
  }
}

/** socket + bind + listen; a Unix socket's stale file is removed first and its mode set after bind. */
export function libcListen(libc: Libc, address: ListenAddress, backlog: number): ListeningSocket {
  const where = address.kind === "tcp" ? `${address.host}:${address.port}` : address.path;
  let family: number;
  let bytes: Uint8Array;
  if (address.kind === "unix") {
    family = AF_UNIX;
    bytes = unixSockaddr(address.path);
    try {
      unlinkSync(address.path);
    } catch {
      // no stale socket
    }
  } else {
    ({ family, bytes } = inetSockaddr(address.host, address.port));
  }
  const fd = libc.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SocketCallError("socket", libc.errno(), where);
  const fail = (call: string): never => {
    const e = libc.errno();
    libc.close(fd);
    throw new SocketCallError(call, e, where);
  };
  if (address.kind === "tcp") {
    const one = new Uint8Array(new Int32Array([1]).buffer);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) !== 0) fail("setsockopt");
  }
  if (libc.bind(fd, bytes, bytes.length) !== 0) fail("bind");
  if (address.kind === "unix") chmodSync(address.path, address.mode);
  if (libc.listen(fd, backlog) !== 0) fail("listen");
  let port: number | null = null;
  if (address.kind === "tcp") {
    const out = new Uint8Array(bytes.length);
    const len = new Uint8Array(new Uint32Array([out.length]).buffer);
    if (libc.getsockname(fd, out, len) !== 0) fail("getsockname");
    port = sockaddrPort(out);
  }
  let open = true;
  let path = address.kind === "unix" ? address.path : null;
  return {
    fd,
    port,
    publish(to) {
      if (path !== null && path !== to) renameSync(path, to);
      path = null; // the file is the children's now
      this.close();
    },
    close() {
      if (!open) return;
      open = false;
      libc.close(fd);
      if (path !== null) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

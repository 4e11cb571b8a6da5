// struct sockaddr bytes for libc's bind(2) (Linux layout): what the FFI listeners of Bun and Deno pass.
import { isIP } from "node:net";

/** Linux address families and socket constants. */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
/** sun_path's size in struct sockaddr_un. */
const UNIX_PATH_MAX = 108;

/** sockaddr_in or sockaddr_in6 for a numeric host and port; the family to open the socket with. */
export function inetSockaddr(host: string, port: number): { family: number; bytes: Uint8Array } {
  const v = isIP(host);
  if (v === 4) {
    const b = new Uint8Array(16);
    b[0] = AF_INET; // sa_family is host order (little-endian here); the port and address are network order
    b[2] = port >> 8;
    b[3] = port & 0xff;
    host.split(".").forEach((part, i) => (b[4 + i] = Number(part)));
    return { family: AF_INET, bytes: b };
  }
  if (v === 6 && !host.includes(".")) {
    const b = new Uint8Array(28);
    b[0] = AF_INET6;
    b[2] = port >> 8;
    b[3] = port & 0xff;
    b.set(ipv6Bytes(host), 8);
    return { family: AF_INET6, bytes: b };
  }
  throw new Error(`"${host}" is not a numeric IP address`);
}

/** sockaddr_un for `path`. */
export function unixSockaddr(path: string): Uint8Array {
  const name = new TextEncoder().encode(path);
  if (name.length >= UNIX_PATH_MAX) throw new Error(`the socket path ${path} is longer than ${UNIX_PATH_MAX - 1} bytes`);
  const b = new Uint8Array(2 + UNIX_PATH_MAX);
  b[0] = AF_UNIX;
  b.set(name, 2);
  return b;
}

/** The port in a sockaddr_in/in6 that getsockname(2) filled. */
export function sockaddrPort(bytes: Uint8Array): number {
  return (bytes[2]! << 8) | bytes[3]!;
}

function ipv6Bytes(host: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = host.includes("::") ? host.split("::") : [host, undefined];
  const words = (s: string | undefined) => (s ? s.split(":").filter((w) => w !== "").map((w) => parseInt(w, 16)) : []);
  const a = words(head);
  const z = tail === undefined ? [] : words(tail);
  const all = [...a, ...new Array(8 - a.length - z.length).fill(0), ...z];
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

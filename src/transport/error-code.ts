// Turns whatever a runtime threw into a TransportError, so the pool and gateway see one vocabulary.
// Node and Bun put a POSIX-style `code` on their errors; Deno sets `code` on most errors too, but
// some (BadResource, Interrupted, DOMException aborts) only carry a class name.

import { TransportError, type TransportErrorCode } from "./types.ts";

/** errno-style codes (Node, Bun, Deno `.code`) that map to our vocabulary. */
const BY_CODE: Readonly<Record<string, TransportErrorCode>> = {
  ECONNREFUSED: "ECONNREFUSED",
  ENOENT: "ENOENT",
  ETIMEDOUT: "ETIMEDOUT",
  ECONNRESET: "ECONNRESET",
  ECONNABORTED: "ECONNRESET",
  EPIPE: "EPIPE",
  EACCES: "EACCES",
  EPERM: "EACCES",
  EHOSTUNREACH: "EHOSTUNREACH",
  EHOSTDOWN: "EHOSTUNREACH",
  ENETUNREACH: "ENETUNREACH",
  ENETDOWN: "ENETUNREACH",
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  ENOTFOUND: "ENOTFOUND",
  EAI_NONAME: "ENOTFOUND",
  EAI_AGAIN: "ENOTFOUND",
  EAI_FAIL: "ENOTFOUND",
  ENOTCONN: "ECLOSED",
  EBADF: "ECLOSED",
  ERR_SOCKET_CLOSED: "ECLOSED",
  ERR_STREAM_DESTROYED: "ECLOSED",
  ERR_STREAM_WRITE_AFTER_END: "EPIPE",
};

/** Deno error classes (`err.name`) and DOMException names. */
const BY_NAME: Readonly<Record<string, TransportErrorCode>> = {
  ConnectionRefused: "ECONNREFUSED",
  NotFound: "ENOENT",
  TimedOut: "ETIMEDOUT",
  TimeoutError: "ETIMEDOUT",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNRESET",
  UnexpectedEof: "ECONNRESET",
  BrokenPipe: "EPIPE",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
  AddrNotAvailable: "EADDRNOTAVAIL",
  NetworkUnreachable: "ENETUNREACH",
  NotConnected: "ECLOSED",
  BadResource: "ECLOSED",
  Interrupted: "ECLOSED",
};

/** The normalised code for any thrown value; EUNKNOWN when nothing matches. */
export function transportErrorCode(err: unknown): TransportErrorCode {
  if (err instanceof TransportError) return err.code;
  if (typeof err !== "object" || err === null) return "EUNKNOWN";
  const { code, name } = err as { code?: unknown; name?: unknown };
  // DOMException has a numeric `code`; only strings are errno-style.
  if (typeof code === "string" && Object.hasOwn(BY_CODE, code)) return BY_CODE[code]!;
  if (typeof name === "string" && Object.hasOwn(BY_NAME, name)) return BY_NAME[name]!;
  return "EUNKNOWN";
}

/** Wraps `err` (kept as `cause`) unless it already is a TransportError. */
export function toTransportError(err: unknown, context?: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = transportErrorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  const message = context === undefined ? `${code}: ${detail}` : `${code} ${context}: ${detail}`;
  return new TransportError(code, message, { cause: err });
}

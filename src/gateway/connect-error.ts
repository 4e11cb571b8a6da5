// The one message for a backend that could not be reached: the address, the code, and what to check, said
// once (the runtime's own text repeats the code and the address, so it is kept only when nothing else is known).
import { ConnectFailed, TransportError, type TransportErrorCode } from "../errors.ts";
import { endpointText } from "../pool/endpoint.ts";
import type { Endpoint } from "../transport/types.ts";

const HINTS: Partial<Record<TransportErrorCode, string>> = {
  ECONNREFUSED: "is the FastCGI application listening there?",
  ENOENT: "no such socket: is the FastCGI application running, and is the path right?",
  EACCES: "permission denied: may this user open the socket?",
  ENOTFOUND: "the host name does not resolve",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "no route to the network",
  EADDRNOTAVAIL: "the address is not available on this machine",
  ECONNRESET: "the backend reset the connection while it was being opened",
};

/** A connect failure (`error` as the pool rejected it) → the 503 the request ends with. */
export function connectFailed(endpoint: Endpoint, error: unknown, connectTimeoutMs: number): ConnectFailed {
  const code = error instanceof TransportError ? error.code : "EUNKNOWN";
  const hint = error instanceof TransportError && error.detail !== undefined ? error.detail : code === "ETIMEDOUT"
    ? `no connection within ${connectTimeoutMs} ms (connectiontimeout): is the address right, or the backend's listen queue full?`
    : HINTS[code] ?? (error instanceof Error ? error.message : String(error));
  return new ConnectFailed(`cannot connect to ${endpointText(endpoint)} (${code}): ${hint}`, { cause: error });
}

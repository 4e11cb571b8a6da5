// When a request may be sent again. A reused connection that closes or resets before any response byte has most
// likely gone stale (the backend dropped it while idle, PHP-FPM's pm.max_requests): such a request is sent once
// more on a fresh connection, but only when sending it twice is harmless — an idempotent method (RFC 9110
// §9.2.2) whose body is empty or in memory — and never after a timeout. nginx's proxy_next_upstream has the same
// rule for non-idempotent requests.
import { ConnectionClosed, TransportError } from "../errors.ts";

/** Methods a stale-connection retry may send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** May this request be sent again after a stale connection? (Its body is known before it is sent.) */
export function mayResend(method: string, bodyStreams: boolean): boolean {
  return IDEMPOTENT.has(method) && !bodyStreams;
}

/** Is this how a stale connection fails (closed or reset, not a protocol error or a timeout)? */
export function looksStale(error: Error): boolean {
  return error instanceof ConnectionClosed ||
    (error instanceof TransportError && (error.code === "ECONNRESET" || error.code === "EPIPE" || error.code === "ECLOSED"));
}

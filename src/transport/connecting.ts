// The connect-timeout race every shim shares. Kept apart from the sockets so the timeout path can be
// tested deterministically (a loopback connect cannot be made to hang on demand).

import { toTransportError } from "./error-code.ts";
import { TransportError, type Endpoint } from "./types.ts";

/** "127.0.0.1:9000", "[::1]:9000" or "unix:/run/php.sock", for error messages. */
export function endpointLabel(endpoint: Endpoint): string {
  if (endpoint.kind === "unix") return `unix:${endpoint.path}`;
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

/**
 * Runs `start` and gives up after `timeoutMs` with ETIMEDOUT. `start` gets a signal that aborts on
 * timeout (to cancel the attempt where the runtime can); a connection that still arrives after the
 * timeout goes to `discard`. A non-finite or non-positive `timeoutMs` means no timeout.
 * Failures are normalised to TransportError.
 */
export function connectWithTimeout<T>(
  label: string,
  timeoutMs: number,
  start: (signal: AbortSignal) => Promise<T>,
  discard: (late: T) => void,
): Promise<T> {
  const context = `connecting to ${label}`;
  return new Promise<T>((resolve, reject) => {
    const abort = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new TransportError("ETIMEDOUT", `ETIMEDOUT ${context}: no connection after ${timeoutMs} ms`));
        abort.abort();
      }, timeoutMs);
    }
    let attempt: Promise<T>;
    try {
      attempt = start(abort.signal);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    attempt.then(
      (value) => {
        if (timedOut) return discard(value);
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (timedOut) return; // already reported; the abort itself lands here
        clearTimeout(timer);
        reject(toTransportError(err, context));
      },
    );
  });
}

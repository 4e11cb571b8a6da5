// The one seam between the shared core and each runtime's sockets. One file per runtime
// (node.ts, deno.ts, bun.ts, workers.ts) implements `Connector`.

/** Where a backend listens. Unix paths only come from configuration, never from a request. */
export type Endpoint =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

export { TransportError, type TransportErrorCode } from "../errors.ts";
import type { TransportError } from "../errors.ts";

/** Push-style receiver. A connection has exactly one at a time (the pool swaps them on reuse). */
export interface ConnHandlers {
  /** Bytes from the peer. The chunk is owned by the receiver: the transport never reuses it. */
  data(chunk: Uint8Array): void;
  /** The peer half-closed (FIN). `close` follows once the socket is fully closed. */
  end(): void;
  /** The socket is closed; `error` is set when it closed because of a failure. Called once. */
  close(error?: TransportError): void;
}

export interface Conn {
  /** Replace the receiver. Data that arrives while no handlers are set is an error for the pool. */
  setHandlers(handlers: ConnHandlers): void;
  /**
   * Queue bytes for sending. Returns false when the runtime's buffer is full: wait for
   * `drained()` before writing more. The caller must not mutate `data` afterwards.
   */
  write(data: Uint8Array): boolean;
  /** Resolves when the send buffer has room again (at once if it already has); rejects if closed. */
  drained(): Promise<void>;
  /** Stop / restart delivering `data` (read-side backpressure). */
  pause(): void;
  resume(): void;
  /** Half-close: send FIN, keep reading. */
  shutdownWrite(): void;
  /** Close both directions. Idempotent; `handlers.close` fires once. */
  close(): void;
  readonly closed: boolean;
}

export interface ConnectOptions {
  /** Give up connecting after this many milliseconds (ETIMEDOUT). */
  readonly timeoutMs: number;
}

/** Opens a connection; rejects with a TransportError. TCP connections have Nagle off. */
export type Connector = (endpoint: Endpoint, options: ConnectOptions) => Promise<Conn>;

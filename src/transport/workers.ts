// Connector on connect() from cloudflare:sockets (Cloudflare Workers / workerd). TCP only: workerd has no
// Unix sockets. workerd facts this relies on (workerd 1.20260426, checked in miniflare):
// - errors carry no code, only a message; refused, blocked and TLS failures all read "proxy request failed,
//   cannot connect to the specified address";
// - with the default highWaterMark the writer's desiredSize stays at 1 whatever is queued, so backpressure is
//   counted here from the write() promises (each resolves once the socket took the chunk);
// - writer.close() is the half-close; with allowHalfOpen the peer's FIN leaves our side open, and `closed`
//   only settles after close(), so the socket is closed here once both directions are done;
// - a peer's reset reads as a clean end of stream; only a later write fails ("Network connection lost.");
// - every read() returns a fresh buffer, so chunks are passed on without copying.

import { ConnBase } from "./conn-base.ts";
import { FlowGate } from "./flow-gate.ts";
import { connectWithTimeout, endpointLabel } from "./connecting.ts";
import { toTransportError } from "./error-code.ts";
import { TransportError, type Conn, type Connector, type TransportErrorCode } from "./types.ts";

/** The slice of cloudflare:sockets' Socket we use (declared here: tsc runs with Node's types). */
interface WorkersSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<unknown>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

type ConnectFn = (
  address: { hostname: string; port: number },
  options: { secureTransport: "off" | "on"; allowHalfOpen: boolean },
) => WorkersSocket;

/** How workersConnector() opens its sockets. */
export interface WorkersConnectorOptions {
  /** "on": TLS to the backend (a FastCGI server behind a TLS terminator or tunnel). Default "off". */
  readonly secureTransport?: "off" | "on";
}

/** write() returns false once this many bytes are handed to the socket and not yet taken. */
const HIGH_WATER = 64 * 1024;

// Loaded on first use: other runtimes never evaluate this module's import, and a Worker opens nothing at
// module scope. The `as string` keeps tsc from resolving a module it has no types for; bundlers still see
// the literal and leave it external.
let connectPromise: Promise<ConnectFn> | undefined;
const loadConnect = (): Promise<ConnectFn> =>
  (connectPromise ??= (import("cloudflare:sockets" as string) as Promise<{ connect: ConnectFn }>).then((m) => m.connect));

/** A Connector on cloudflare:sockets (TCP only; workerd has no Unix sockets). */
export function workersConnector(options: WorkersConnectorOptions = {}): Connector {
  const secureTransport = options.secureTransport ?? "off";
  if (secureTransport !== "off" && secureTransport !== "on") {
    throw new TypeError(`secureTransport must be "off" or "on", not ${JSON.stringify(secureTransport)}`);
  }
  return (endpoint, connectOptions) => {
    const label = endpointLabel(endpoint);
    if (endpoint.kind === "unix") {
      return Promise.reject(new TransportError("EUNKNOWN", `EUNKNOWN connecting to ${label}: Workers have no Unix sockets; use fcgi://host:port`));
    }
    return connectWithTimeout<Conn>(
      label,
      connectOptions.timeoutMs,
      async (signal) => {
        const connect = await loadConnect();
        // workerd wants an IPv6 literal in brackets ({ hostname: "::1" } never connects).
        const hostname = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
        // allowHalfOpen: ConnBase, not workerd, closes our side after the peer's FIN, once queued bytes are out.
        const socket = connect({ hostname, port: endpoint.port }, { secureTransport, allowHalfOpen: true });
        socket.closed.catch(() => {}); // failures are reported through `opened` and the streams
        const onAbort = (): void => void socket.close().catch(() => {});
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          await socket.opened;
        } catch (err) {
          void socket.close().catch(() => {});
          throw workersError(err, `connecting to ${label}`);
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
        return new WorkersConn(socket);
      },
      (late) => late.close(),
    );
  };
}

/** Plain TCP to the backend. */
export const connectWorkers: Connector = workersConnector();

/** workerd errors by message (they have no code). */
const BY_MESSAGE: ReadonlyArray<readonly [RegExp, TransportErrorCode]> = [
  [/cannot connect to the specified address/i, "ECONNREFUSED"],
  [/network connection lost/i, "ECONNRESET"],
  [/stream was cancelled/i, "ECLOSED"],
  [/writablestream has been closed/i, "EPIPE"],
];

/** A TransportError that keeps workerd's own message (the gateway logs it with the 503). */
export function workersError(err: unknown, context?: string): TransportError {
  if (err instanceof TransportError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const hit = BY_MESSAGE.find(([pattern]) => pattern.test(message));
  if (hit === undefined) return toTransportError(err, context);
  const code = hit[1];
  return new TransportError(code, context === undefined ? `${code}: ${message}` : `${code} ${context}: ${message}`, { cause: err, detail: `workerd: ${message}` });
}

class WorkersConn extends ConnBase {
  readonly #socket: WorkersSocket;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Bytes handed to writer.write() whose promise has not settled yet. */
  #inFlight = 0;
  readonly #gate = new FlowGate(() => this.flowing, () => this.closed);
  #readEnded = false;
  #writeEnded = false;

  constructor(socket: WorkersSocket) {
    super(false);
    this.#socket = socket;
    this.#writer = socket.writable.getWriter();
    this.#reader = socket.readable.getReader();
    this.#readLoop().catch((err: unknown) => {
      // A handler threw: close, then let it surface as an unhandled rejection like a Node listener's.
      this.#fail(err);
      throw err;
    });
  }

  protected writeBytes(data: Uint8Array): boolean {
    const n = data.byteLength;
    if (n > 0) {
      this.#inFlight += n;
      // The stream keeps chunks in order; each promise settles once the socket took that chunk.
      this.#writer.write(data).then(
        () => {
          this.#inFlight -= n;
          if (this.#inFlight < HIGH_WATER) this.notifyDrained();
        },
        (err: unknown) => this.#fail(err),
      );
    }
    return this.#inFlight < HIGH_WATER;
  }

  protected needsDrain(): boolean {
    return this.#inFlight >= HIGH_WATER;
  }

  protected flowChanged(): void {
    if (this.flowing) this.#gate.release();
  }

  protected shutdownBytes(): void {
    // close() is queued behind the pending writes, so the FIN follows the last byte.
    this.#writer.close().then(
      () => {
        this.#writeEnded = true;
        if (this.#readEnded) this.#closeBoth();
      },
      (err: unknown) => this.#fail(err),
    );
  }

  protected destroySocket(): void {
    this.#closeSocket();
    queueMicrotask(() => this.finished());
  }

  async #readLoop(): Promise<void> {
    for (;;) {
      // Not reading while paused leaves the bytes in workerd and the kernel: TCP flow control does the rest.
      if (!this.flowing && !(await this.#gate.opened())) return;
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await this.#reader.read();
      } catch (err) {
        this.#fail(err); // after a local close this is "Stream was cancelled", and #fail ignores it
        return;
      }
      if (next.done) {
        this.#readEnded = true;
        // Held chunks must be delivered before the close: wait until flowing again.
        if (!this.flowing && !(await this.#gate.opened())) return;
        this.deliverEnd();
        if (this.#writeEnded) this.#closeBoth();
        return;
      }
      this.deliver(next.value);
    }
  }

  /** Both directions finished cleanly: release the socket (its `closed` waits for this). */
  #closeBoth(): void {
    if (this.closed) return;
    this.#closeSocket();
    this.finished();
  }

  #fail(err: unknown): void {
    if (this.closed) return;
    this.#closeSocket();
    this.finished(workersError(err));
  }

  #closeSocket(): void {
    // Let a read loop parked on the gate see the close and exit.
    this.#gate.release();
    this.#socket.close().catch(() => {});
  }
}

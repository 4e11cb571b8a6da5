// Connector on Bun.connect. Bun facts this relies on (1.4.5): write() accepts part of the bytes and
// returns how many (-1 once closed), `drain` fires when it can take more; end() closes the whole
// socket, shutdown() is the half-close; TCP_NODELAY is already on; each `data` callback gets a fresh
// buffer, so chunks are passed on without copying.

import { ConnBase } from "./conn-base.ts";
import { connectWithTimeout, endpointLabel } from "./connecting.ts";
import { toTransportError } from "./error-code.ts";
import type { Conn, Connector } from "./types.ts";

/** The slice of Bun's Socket we use (declared locally: tsc runs with Node's types, not Bun's). */
interface BunSocketLike {
  readonly data: BunConn;
  write(data: Uint8Array): number;
  shutdown(): void;
  end(): void;
  pause(): void;
  resume(): void;
}

interface BunSocketHandler {
  binaryType: "uint8array";
  open(socket: BunSocketLike): void;
  data(socket: BunSocketLike, chunk: Uint8Array): void;
  drain(socket: BunSocketLike): void;
  end(socket: BunSocketLike): void;
  close(socket: BunSocketLike, error?: Error): void;
}

interface BunLike {
  connect(
    options: { socket: BunSocketHandler; data: BunConn; allowHalfOpen: boolean } & (
      | { hostname: string; port: number }
      | { unix: string }
    ),
  ): Promise<BunSocketLike>;
}

const bun = (): BunLike => (globalThis as unknown as { Bun: BunLike }).Bun;

// One handler object for every socket (Bun's design); per-connection state is `socket.data`.
const handler: BunSocketHandler = {
  binaryType: "uint8array",
  open: (socket) => socket.data.opened(socket),
  data: (socket, chunk) => socket.data.received(chunk),
  drain: (socket) => socket.data.writable(),
  end: (socket) => socket.data.peerEnded(),
  close: (socket, error) => socket.data.gone(error),
};

export const connectBun: Connector = (endpoint, options) =>
  connectWithTimeout<Conn>(
    endpointLabel(endpoint),
    options.timeoutMs,
    async () => {
      // Bun.connect cannot be cancelled: a socket that opens after the timeout is closed by `discard`.
      const conn = new BunConn();
      const target =
        endpoint.kind === "tcp" ? { hostname: endpoint.host, port: endpoint.port } : { unix: endpoint.path };
      // allowHalfOpen: ConnBase shuts our side down itself, after the `end` handler has run.
      await bun().connect({ ...target, socket: handler, data: conn, allowHalfOpen: true });
      return conn;
    },
    (late) => late.close(),
  );

class BunConn extends ConnBase {
  #socket: BunSocketLike | null = null;
  /** Bytes Bun did not accept yet, oldest first. */
  #queue: Uint8Array[] = [];
  #shutDown = false;
  #gone = false;

  constructor() {
    super(false);
  }

  /** Bun's `open`: runs before connect() resolves, so nothing is read until handlers are set. */
  opened(socket: BunSocketLike): void {
    this.#socket = socket;
    if (!this.flowing) socket.pause();
  }

  received(chunk: Uint8Array): void {
    this.deliver(chunk);
  }

  writable(): void {
    const socket = this.#socket;
    if (socket === null || this.#gone) return;
    const queue = this.#queue;
    while (queue.length > 0) {
      const head = queue[0]!;
      const n = socket.write(head);
      if (n < 0) return; // closed: `close` reports it
      if (n < head.byteLength) {
        queue[0] = head.subarray(n);
        return;
      }
      queue.shift();
    }
    this.notifyDrained();
    if (this.writeShut) this.#shutdown(socket);
  }

  peerEnded(): void {
    this.deliverEnd();
  }

  gone(error?: Error): void {
    this.#gone = true;
    // After our shutdown(), the peer's FIN closes the socket without an `end` callback.
    if (error === undefined && this.writeShut) this.deliverEnd();
    // Deferred: Bun calls `close` synchronously inside end(), i.e. inside our close().
    queueMicrotask(() => this.finished(error === undefined ? undefined : toTransportError(error)));
  }

  protected writeBytes(data: Uint8Array): boolean {
    const socket = this.#socket;
    if (socket === null || this.#gone) return false;
    if (this.#queue.length > 0) {
      this.#queue.push(data);
      return false;
    }
    const n = socket.write(data);
    if (n === data.byteLength) return true;
    if (n >= 0) this.#queue.push(data.subarray(n)); // partial: the rest waits for `drain`
    return false;
  }

  protected needsDrain(): boolean {
    return this.#queue.length > 0;
  }

  protected flowChanged(): void {
    const socket = this.#socket;
    if (socket === null || this.#gone) return;
    if (this.flowing) socket.resume();
    else socket.pause();
  }

  protected shutdownBytes(): void {
    const socket = this.#socket;
    if (socket !== null && this.#queue.length === 0 && !this.#gone) this.#shutdown(socket); // else after the last drain
  }

  #shutdown(socket: BunSocketLike): void {
    if (this.#shutDown) return;
    this.#shutDown = true;
    socket.shutdown();
  }

  protected destroySocket(): void {
    if (this.#socket === null || this.#gone) {
      queueMicrotask(() => this.finished());
      return;
    }
    this.#socket.end(); // closes both directions in Bun; its `close` callback reports
  }
}

// Conn over a node:net Socket: used by the node connector (Node, and node:net inside Deno and Bun)
// and by listen() for server-side connections. The socket must be created with allowHalfOpen: true:
// Node's own auto-end runs before our 'end' listener, so ConnBase does that step itself instead
// (client conns), or leaves it to the owner (server conns, `halfOpen`).

import type { Socket } from "node:net";
import { ConnBase } from "./conn-base.ts";
import { toTransportError } from "./error-code.ts";
import type { TransportError } from "./types.ts";

export class NodeConn extends ConnBase {
  readonly #socket: Socket;
  #error: TransportError | undefined;

  constructor(socket: Socket, halfOpen: boolean) {
    super(halfOpen);
    this.#socket = socket;
    // Stay paused until handlers are set (attaching 'data' does not resume an explicitly paused stream).
    socket.pause();
    socket.on("data", (chunk: Buffer) => {
      // A plain Uint8Array view: Buffer's slice() is a view where Uint8Array's is a copy, and the
      // layers above compare chunks with Uint8Arrays. Node hands out a fresh buffer per read.
      this.deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on("end", () => this.deliverEnd());
    socket.on("drain", () => this.notifyDrained());
    socket.on("error", (err: Error) => {
      this.#error ??= toTransportError(err);
    });
    socket.on("close", () => this.finished(this.#error));
    if (socket.destroyed) queueMicrotask(() => this.finished(this.#error));
  }

  protected writeBytes(data: Uint8Array): boolean {
    if (this.#socket.destroyed) return false; // its 'close' is on the way
    return this.#socket.write(data);
  }

  protected needsDrain(): boolean {
    return this.#socket.writableNeedDrain;
  }

  protected flowChanged(): void {
    if (this.flowing) this.#socket.resume();
    else this.#socket.pause();
  }

  protected shutdownBytes(): void {
    // end() flushes what is queued, then sends FIN: a real half-close in Node, Deno and Bun.
    this.#socket.end();
  }

  protected destroySocket(): void {
    this.#socket.destroy();
  }
}

// The bookkeeping every shim shares, so the three runtimes agree on the Conn contract:
// - nothing is delivered until the first handlers are set, and nothing while paused: the shim stops
//   reading, and whatever still arrives (a runtime that emits 'end' while paused, a callback racing
//   pause()) is held here and delivered in order on resume;
// - handlers.close fires exactly once, asynchronously, even for a local close();
// - drained() waiters are settled by the shim (room again) or by the close;
// - after the peer's FIN, a client conn shuts its own side down (flushing first), so `close`
//   follows `end` without the owner's help; a server conn (halfOpen) leaves that to its owner.
// A shim supplies the socket-specific steps as the abstract methods below.

import { TransportError, type Conn, type ConnHandlers } from "./types.ts";

interface Waiter {
  resolve(): void;
  reject(err: TransportError): void;
}

export abstract class ConnBase implements Conn {
  readonly #halfOpen: boolean;
  #handlers: ConnHandlers | null = null;
  #paused = false;
  #closed = false;
  #writeShut = false;
  /** Chunks that arrived while not flowing, oldest first. */
  #held: Uint8Array[] = [];
  #endSeen = false;
  #endDelivered = false;
  #flushing = false;
  #reported = false;
  #closeError: TransportError | undefined;
  /** The socket went away before anyone set handlers: report it to the first ones set. */
  #reportPending = false;
  #waiters: Waiter[] = [];

  /** `halfOpen`: keep our side open after the peer's FIN (servers that reply after it). */
  constructor(halfOpen: boolean) {
    this.#halfOpen = halfOpen;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once shutdownWrite() was called (the shim may still be flushing). */
  protected get writeShut(): boolean {
    return this.#writeShut;
  }

  /** Handlers are set, not paused, not closed: the shim should be reading. */
  protected get flowing(): boolean {
    return this.#handlers !== null && !this.#paused && !this.#closed;
  }

  setHandlers(handlers: ConnHandlers): void {
    const first = this.#handlers === null;
    this.#handlers = handlers;
    if (this.#reportPending) {
      this.#reportPending = false;
      const error = this.#closeError;
      queueMicrotask(() => this.#handlers!.close(error));
      return;
    }
    if (first && !this.#closed) this.#flowMayHaveChanged();
  }

  write(data: Uint8Array): boolean {
    if (this.#closed) return false; // the close handler has fired or is about to; drained() rejects
    if (this.#writeShut) throw new TransportError("EPIPE", "EPIPE: write after shutdownWrite()");
    return this.writeBytes(data);
  }

  drained(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (!this.needsDrain()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (this.#handlers !== null && !this.#closed) this.flowChanged();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#handlers !== null && !this.#closed) this.#flowMayHaveChanged();
  }

  shutdownWrite(): void {
    if (this.#closed || this.#writeShut) return;
    this.#writeShut = true;
    this.shutdownBytes();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#rejectWaiters();
    this.destroySocket();
  }

  /** Queue bytes on the socket; the result is Conn.write's. Only called while open and writable. */
  protected abstract writeBytes(data: Uint8Array): boolean;
  /** True while a writer should wait for drained(). */
  protected abstract needsDrain(): boolean;
  /** `flowing` changed: start or stop reading. */
  protected abstract flowChanged(): void;
  /** Send FIN once everything queued is flushed; keep reading. */
  protected abstract shutdownBytes(): void;
  /** Tear the socket down; the shim calls `finished()` when it is gone, never synchronously. */
  protected abstract destroySocket(): void;

  /** A chunk from the socket: delivered now, or held until flowing. */
  protected deliver(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.flowing && this.#held.length === 0) this.#handlers!.data(chunk);
    else this.#held.push(chunk);
  }

  /** The peer's FIN (after its last chunk): delivered once, after any held chunks. */
  protected deliverEnd(): void {
    if (this.#closed || this.#endSeen) return;
    this.#endSeen = true;
    if (this.flowing && this.#held.length === 0) this.#emitEnd();
  }

  /** The send buffer has room again. */
  protected notifyDrained(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
  }

  /** The socket is gone, by close() or on its own. Reports once; later calls are ignored. */
  protected finished(error?: TransportError): void {
    if (this.#reported) return;
    // A clean close right after the last bytes: deliver what is held first, unless paused.
    // (#writeShut: the socket is gone, so the end must not try to shut it down.)
    this.#writeShut = true;
    if (error === undefined && !this.#closed) this.#flushHeld();
    this.#closed = true;
    this.#held = [];
    this.#reported = true;
    this.#closeError = error;
    this.#rejectWaiters();
    if (this.#handlers === null) {
      this.#reportPending = true;
      return;
    }
    this.#handlers.close(error);
  }

  #flowMayHaveChanged(): void {
    this.flowChanged();
    // Not inline: resume() and setHandlers() must not call back into their caller.
    if (this.#held.length > 0 || (this.#endSeen && !this.#endDelivered)) queueMicrotask(() => this.#flushHeld());
  }

  #flushHeld(): void {
    if (this.#flushing) return; // re-entered from a handler: the outer loop carries on
    this.#flushing = true;
    try {
      while (this.#held.length > 0 && this.flowing) this.#handlers!.data(this.#held.shift()!);
      if (this.#endSeen && !this.#endDelivered && this.#held.length === 0 && this.flowing) this.#emitEnd();
    } finally {
      this.#flushing = false;
    }
  }

  #emitEnd(): void {
    this.#endDelivered = true;
    this.#handlers!.end();
    // A backend that sent FIN reads nothing more: finish our side too (after what is queued).
    if (!this.#halfOpen) this.shutdownWrite();
  }

  #closedError(): TransportError {
    return this.#closeError ?? new TransportError("ECLOSED", "ECLOSED: the connection is closed");
  }

  #rejectWaiters(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    const err = this.#closedError();
    for (const w of waiters) w.reject(err);
  }
}

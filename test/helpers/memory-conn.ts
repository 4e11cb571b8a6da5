// In-memory connections for unit tests of the pool layer: a `Conn` (the gateway's side, what
// src/transport/types.ts promises) joined to a `MemoryBackend` (the test's side, playing the FastCGI
// application), and a `MemoryConnector` that opens such pairs. No sockets, no timers except a hanging
// connect's timeout.
//
// The Conn follows the contract src/transport/conn-base.ts gives the real shims: nothing is delivered
// before the first handlers are set or while paused (held, then delivered in order on resume, in a
// microtask); `handlers.close` fires once, asynchronously, even for a local close(); after the peer's FIN
// the gateway side shuts its own side down, and once both sides are shut the connection is closed.
import { RecordDecoder, RecordType } from "../../src/protocol/index.ts";
import { TransportError, type TransportErrorCode } from "../../src/errors.ts";
import type { Conn, ConnectOptions, ConnHandlers, Connector, Endpoint } from "../../src/transport/types.ts";
import { concat } from "./bytes.ts";

/** One FastCGI record the gateway wrote, as the backend decoded it. */
export interface BackendRecord {
  readonly type: number;
  readonly requestId: number;
  /** Stream or management content (empty for a stream's end record, and for BEGIN/ABORT/END). */
  readonly content: Uint8Array;
  /** BEGIN_REQUEST only: the flags byte (FCGI_KEEP_CONN = 1). */
  readonly flags?: number;
}

/** Options for one in-memory connection. */
export interface MemoryConnOptions {
  /**
   * `write` returns false once more than this many bytes are buffered (written by the gateway and not yet
   * taken by the backend with `MemoryBackend.take()`). Default: unlimited, so `write` is always true.
   */
  readonly writeBufferBytes?: number;
}

const END = Symbol("end");

/** The gateway's side of an in-memory connection. Create pairs with `memoryPair`. */
export class MemoryConn implements Conn {
  #handlers: ConnHandlers | null = null;
  #paused = false;
  #closed = false;
  #reported = false;
  #writeShut = false;
  #peerEnded = false;
  /** Bytes and the FIN that arrived while not flowing, oldest first. */
  #held: Array<Uint8Array | typeof END> = [];
  #flushQueued = false;
  #buffered = 0;
  readonly #limit: number;
  #waiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  #closeError: TransportError | undefined;
  /** Set by memoryPair: where written bytes go. */
  backend!: MemoryBackend;

  constructor(options: MemoryConnOptions = {}) {
    this.#limit = options.writeBufferBytes ?? Infinity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once the gateway called shutdownWrite() (or the pair shut down after the backend's FIN). */
  get writeShut(): boolean {
    return this.#writeShut;
  }

  /** Whether reading is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Bytes written and not yet taken by the backend. */
  get buffered(): number {
    return this.#buffered;
  }

  setHandlers(handlers: ConnHandlers): void {
    const first = this.#handlers === null;
    this.#handlers = handlers;
    if (this.#reported) {
      // Closed before anyone listened: tell the first handlers.
      if (first) queueMicrotask(() => this.#handlers!.close(this.#closeError));
      return;
    }
    if (first) this.#scheduleFlush();
  }

  write(data: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#writeShut) throw new TransportError("EPIPE", "EPIPE: write after shutdownWrite()");
    this.#buffered += data.length;
    this.backend._receive(data.slice());
    return this.#buffered <= this.#limit;
  }

  drained(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#buffered <= this.#limit) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#scheduleFlush();
  }

  shutdownWrite(): void {
    if (this.#closed || this.#writeShut) return;
    this.#writeShut = true;
    this.backend._gatewayShut();
    // Both directions shut: the socket closes (asynchronously, as a real one reports it).
    if (this.#peerEnded) queueMicrotask(() => this._finish(undefined));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#rejectWaiters();
    this.backend._gatewayClosed();
    queueMicrotask(() => this._finish(undefined));
  }

  // --- called by MemoryBackend ---

  /** @internal Bytes from the backend. */
  _deliver(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#flowing && this.#held.length === 0) this.#handlers!.data(chunk);
    else this.#held.push(chunk);
  }

  /** @internal The backend's FIN. */
  _deliverEnd(): void {
    if (this.#closed || this.#peerEnded) return;
    this.#peerEnded = true;
    if (this.#flowing && this.#held.length === 0) this.#emitEnd();
    else this.#held.push(END);
  }

  /** @internal The backend took `n` buffered bytes. */
  _took(n: number): void {
    this.#buffered = Math.max(0, this.#buffered - n);
    if (this.#buffered > this.#limit || this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
  }

  /** @internal The socket is gone (local close, both sides shut, or a reset). Reports once. */
  _finish(error: TransportError | undefined): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#closed = true;
    this.#held = [];
    this.#closeError = error;
    this.#rejectWaiters();
    this.backend._gatewayClosed();
    this.#handlers?.close(error);
  }

  get #flowing(): boolean {
    return this.#handlers !== null && !this.#paused && !this.#closed;
  }

  #scheduleFlush(): void {
    if (this.#flushQueued || this.#held.length === 0) return;
    this.#flushQueued = true;
    // Not inline: resume() and setHandlers() must not call back into their caller.
    queueMicrotask(() => {
      this.#flushQueued = false;
      while (this.#held.length > 0 && this.#flowing) {
        const next = this.#held.shift()!;
        if (next === END) this.#emitEnd();
        else this.#handlers!.data(next);
      }
    });
  }

  #emitEnd(): void {
    this.#handlers!.end();
    // A client connection finishes its side after the peer's FIN; both sides shut = closed.
    if (this.#closed) return;
    if (this.#writeShut) queueMicrotask(() => this._finish(undefined));
    else this.shutdownWrite();
  }

  #closedError(): TransportError {
    return this.#closeError ?? new TransportError("ECLOSED", "ECLOSED: the connection is closed");
  }

  #rejectWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    const err = this.#closedError();
    for (const w of waiters) w.reject(err);
  }
}

/** The test's side of an in-memory connection: the FastCGI application. */
export class MemoryBackend {
  readonly endpoint: Endpoint;
  readonly conn: MemoryConn;
  readonly #chunks: Uint8Array[] = [];
  #gatewayShut = false;
  #gatewayClosed = false;

  constructor(conn: MemoryConn, endpoint: Endpoint) {
    this.conn = conn;
    this.endpoint = endpoint;
  }

  /** Every byte the gateway wrote, in order. */
  received(): Uint8Array {
    return concat(this.#chunks);
  }

  /**
   * The records the gateway wrote, decoded with the project's own RecordDecoder. Stream records appear
   * whole (a record still incomplete shows what arrived of it); a zero-length stream record has empty content.
   */
  records(): BackendRecord[] {
    const out: BackendRecord[] = [];
    const empty = new Uint8Array(0);
    const decoder = new RecordDecoder({
      stream: (type, requestId, data) => out.push({ type, requestId, content: data.slice() }),
      streamEnd: (type, requestId) => out.push({ type, requestId, content: empty }),
      beginRequest: (requestId, _role, flags) => out.push({ type: RecordType.BEGIN_REQUEST, requestId, content: empty, flags }),
      abortRequest: (requestId) => out.push({ type: RecordType.ABORT_REQUEST, requestId, content: empty }),
      endRequest: (requestId) => out.push({ type: RecordType.END_REQUEST, requestId, content: empty }),
      management: (type, content) => out.push({ type, requestId: 0, content: content.slice() }),
    });
    decoder.push(this.received());
    return out;
  }

  /** Frees the gateway's write buffer (as if the application read everything): pending drained() resolve. */
  take(): void {
    this.conn._took(this.conn.buffered);
  }

  /** Sends bytes to the gateway (held there while it is paused or has no handlers). */
  send(bytes: Uint8Array): void {
    if (this.#gatewayClosed) throw new Error("MemoryBackend.send: the connection is closed");
    this.conn._deliver(bytes.slice());
  }

  /** Half-closes (FIN) towards the gateway; the connection closes once the gateway has shut its side too. */
  end(): void {
    this.conn._deliverEnd();
  }

  /** Fails the connection at once, as a reset would: the gateway's close handler gets a TransportError. */
  reset(code: TransportErrorCode = "ECONNRESET"): void {
    this.conn._finish(new TransportError(code, `${code}: reset by the in-memory backend`));
  }

  /** The gateway sent its FIN (shutdownWrite). */
  get gatewayShut(): boolean {
    return this.#gatewayShut;
  }

  /** The connection is closed, by either side. */
  get closed(): boolean {
    return this.#gatewayClosed;
  }

  /** @internal */
  _receive(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
  }

  /** @internal */
  _gatewayShut(): void {
    this.#gatewayShut = true;
  }

  /** @internal */
  _gatewayClosed(): void {
    this.#gatewayClosed = true;
  }
}

/** A connected in-memory pair: give `conn` to the code under test, drive `backend` from the test. */
export function memoryPair(
  options: MemoryConnOptions = {},
  endpoint: Endpoint = { kind: "tcp", host: "memory", port: 9000 },
): { conn: MemoryConn; backend: MemoryBackend } {
  const conn = new MemoryConn(options);
  const backend = new MemoryBackend(conn, endpoint);
  conn.backend = backend;
  return { conn, backend };
}

/** How the next connect attempt ends. */
type Outcome = { readonly kind: "ok" } | { readonly kind: "fail"; readonly code: TransportErrorCode } | { readonly kind: "hang" };

/** One connect attempt as the connector saw it. */
export interface ConnectAttempt {
  readonly endpoint: Endpoint;
  readonly options: ConnectOptions;
}

/**
 * A Connector that opens in-memory connections. `connector` is the function to hand to the code under
 * test; `backends` lists the backend side of every connection opened, in order. By default every attempt
 * succeeds; `refuseNext` and `hangNext` plan failures for the next attempts.
 */
export class MemoryConnector {
  readonly backends: MemoryBackend[] = [];
  readonly attempts: ConnectAttempt[] = [];
  readonly #plan: Outcome[] = [];
  readonly #options: MemoryConnOptions;
  readonly #waiting: Array<(b: MemoryBackend) => void> = [];
  readonly #hanging = new Set<{ timer: ReturnType<typeof setTimeout>; reject(e: Error): void }>();

  constructor(options: MemoryConnOptions = {}) {
    this.#options = options;
  }

  /** The Connector function. */
  readonly connector: Connector = (endpoint, options) => {
    this.attempts.push({ endpoint, options });
    const outcome = this.#plan.shift() ?? { kind: "ok" };
    if (outcome.kind === "fail") {
      return Promise.reject(new TransportError(outcome.code, `${outcome.code}: in-memory connect refused`));
    }
    if (outcome.kind === "hang") {
      // Like a real connector: give up after the attempt's timeout (ETIMEDOUT).
      return new Promise<Conn>((_resolve, reject) => {
        const entry = {
          reject,
          timer: setTimeout(() => {
            this.#hanging.delete(entry);
            reject(new TransportError("ETIMEDOUT", `ETIMEDOUT: in-memory connect timed out after ${options.timeoutMs} ms`));
          }, options.timeoutMs),
        };
        this.#hanging.add(entry);
      });
    }
    const { conn, backend } = memoryPair(this.#options, endpoint);
    this.backends.push(backend);
    // Like a socket's connect: settles in a later microtask than the call.
    return Promise.resolve().then(() => {
      this.#waiting.shift()?.(backend);
      return conn;
    });
  };

  /** The next `count` attempts reject with a TransportError of `code` (ECONNREFUSED by default). */
  refuseNext(count = 1, code: TransportErrorCode = "ECONNREFUSED"): void {
    for (let i = 0; i < count; i++) this.#plan.push({ kind: "fail", code });
  }

  /** The next `count` attempts never connect: they reject with ETIMEDOUT after their `timeoutMs`. */
  hangNext(count = 1): void {
    for (let i = 0; i < count; i++) this.#plan.push({ kind: "hang" });
  }

  /** Resolves with the backend side of the next connection opened from now on. */
  nextBackend(): Promise<MemoryBackend> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Connections not closed yet. */
  get open(): MemoryBackend[] {
    return this.backends.filter((b) => !b.closed);
  }

  /** Cleanup: cancels hanging attempts (rejecting them with ECLOSED) and resets every open connection. */
  dispose(): void {
    for (const h of this.#hanging) {
      clearTimeout(h.timer);
      h.reject(new TransportError("ECLOSED", "ECLOSED: connector disposed"));
    }
    this.#hanging.clear();
    for (const b of this.open) b.conn.close();
  }
}

/** Polls `check` every few ms until it holds; rejects after `ms` (kept short: these are unit tests). */
export async function until(check: () => boolean, ms = 300, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `promise`, or a rejection if it has not settled within `ms` (so a broken unit fails a test instead of hanging it). */
export function within<T>(promise: Promise<T>, ms = 300, what = "promise"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

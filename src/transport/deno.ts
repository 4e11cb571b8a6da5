// Connector on Deno.connect. Uses conn.read()/conn.write() rather than the streams: conn.readable
// closes the whole resource at EOF and conn.writable.close() is not a half-close (closeWrite() is).

import { ConnBase } from "./conn-base.ts";
import { FlowGate } from "./flow-gate.ts";
import { connectWithTimeout, endpointLabel } from "./connecting.ts";
import { toTransportError } from "./error-code.ts";
import type { Conn, Connector } from "./types.ts";

/** The slice of Deno.Conn we use (declared locally: tsc runs with Node's types, not Deno's). */
interface DenoConnLike {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

interface DenoLike {
  connect(
    options:
      | { transport: "tcp"; hostname: string; port: number; signal?: AbortSignal }
      | { transport: "unix"; path: string },
  ): Promise<DenoConnLike>;
}

const deno = (): DenoLike => (globalThis as unknown as { Deno: DenoLike }).Deno;

/** Read slab: each read fills the unused tail of the current slab, so chunks never overlap and no
 * buffer is ever read into twice (the core keeps views of delivered chunks). */
const SLAB_SIZE = 64 * 1024;
/** Start a fresh slab when less than this is left in the current one. */
const MIN_READ = 16 * 1024;
/** write() returns false once this many bytes wait to be written. */
const HIGH_WATER = 64 * 1024;
/** Queued chunks are merged into one write up to this size (fewer ops for small records). */
const COALESCE_LIMIT = 64 * 1024;

export const connectDeno: Connector = (endpoint, options) =>
  connectWithTimeout<Conn>(
    endpointLabel(endpoint),
    options.timeoutMs,
    async (signal) => {
      if (endpoint.kind === "unix") {
        return new DenoConn(await deno().connect({ transport: "unix", path: endpoint.path }));
      }
      const conn = await deno().connect({
        transport: "tcp",
        hostname: endpoint.host,
        port: endpoint.port,
        signal,
      });
      // Deno leaves Nagle on; with it, small request records stall ~40 ms.
      conn.setNoDelay?.(true);
      return new DenoConn(conn);
    },
    (late) => late.close(),
  );

class DenoConn extends ConnBase {
  readonly #conn: DenoConnLike;
  readonly #gate = new FlowGate(() => this.flowing, () => this.closed);
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #readEnded = false;
  #writeEnded = false;

  constructor(conn: DenoConnLike) {
    super(false);
    this.#conn = conn;
    this.#readLoop().catch((err: unknown) => {
      // A handler threw: close, then let it surface as an unhandled rejection like a Node listener's.
      this.#fail(err);
      throw err;
    });
  }

  protected writeBytes(data: Uint8Array): boolean {
    if (data.byteLength > 0) {
      this.#queue.push(data);
      this.#queued += data.byteLength;
      if (!this.#writing) void this.#flush();
    }
    return this.#queued < HIGH_WATER;
  }

  protected needsDrain(): boolean {
    return this.#queued >= HIGH_WATER;
  }

  protected flowChanged(): void {
    if (this.flowing) this.#gate.release();
  }

  protected shutdownBytes(): void {
    if (!this.#writing) void this.#closeWrite();
  }

  protected destroySocket(): void {
    this.#closeResource();
    queueMicrotask(() => this.finished());
  }

  async #readLoop(): Promise<void> {
    let slab = new Uint8Array(SLAB_SIZE);
    let used = 0;
    for (;;) {
      // Checked before awaiting: an async call and an await per read cost more than the check.
      if (!this.flowing && !(await this.#gate.opened())) return;
      let n: number | null;
      try {
        n = await this.#conn.read(slab.subarray(used));
      } catch (err) {
        this.#fail(err); // after a local close this is "Interrupted", and #fail ignores it
        return;
      }
      if (n === null) {
        this.#readEnded = true;
        if (!this.flowing && !(await this.#gate.opened())) return;
        this.deliverEnd();
        if (this.#writeEnded) this.#closeBoth();
        return;
      }
      const chunk = slab.subarray(used, used + n);
      used += n;
      if (SLAB_SIZE - used < MIN_READ) {
        slab = new Uint8Array(SLAB_SIZE);
        used = 0;
      }
      // pause() may have come while the read was pending: hold the chunk until resumed.
      if (!this.flowing && !(await this.#gate.opened())) return;
      this.deliver(chunk);
    }
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#nextWrite();
        const n = await this.#conn.write(head);
        if (this.closed) return;
        this.#consume(n);
        if (this.#queued < HIGH_WATER) this.notifyDrained();
      }
    } catch (err) {
      this.#fail(err);
      return;
    } finally {
      this.#writing = false;
    }
    if (this.writeShut) await this.#closeWrite();
  }

  /** The bytes for the next write: the head chunk, or several small ones merged. */
  #nextWrite(): Uint8Array {
    const queue = this.#queue;
    let count = 0;
    let size = 0;
    while (count < queue.length && size + queue[count]!.byteLength <= COALESCE_LIMIT) {
      size += queue[count]!.byteLength;
      count++;
    }
    if (count <= 1) return queue[0]!;
    const merged = new Uint8Array(size);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      merged.set(queue[i]!, offset);
      offset += queue[i]!.byteLength;
    }
    queue.splice(0, count, merged);
    return merged;
  }

  /** Drop `n` written bytes from the head of the queue (writes may be partial). */
  #consume(n: number): void {
    this.#queued -= n;
    const head = this.#queue[0]!;
    if (n < head.byteLength) this.#queue[0] = head.subarray(n);
    else this.#queue.shift();
  }

  async #closeWrite(): Promise<void> {
    if (this.closed || this.#writeEnded) return;
    try {
      await this.#conn.closeWrite();
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#writeEnded = true;
    if (this.#readEnded) this.#closeBoth();
  }

  /** Both directions finished cleanly. */
  #closeBoth(): void {
    if (this.closed) return;
    this.#closeResource();
    this.finished();
  }

  #fail(err: unknown): void {
    if (this.closed) return;
    this.#closeResource();
    this.finished(toTransportError(err));
  }

  #closeResource(): void {
    // Let a read loop parked on the gate see the close and exit.
    this.#gate.release();
    try {
      this.#conn.close();
    } catch {
      // Already gone (BadResource): Deno closes a Conn on its own in some paths.
    }
  }
}

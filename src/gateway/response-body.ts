// The response body on its way to the client: the STDOUT bytes after the CGI head, as bytes when the whole body
// came with its head, else as a stream with backpressure (the backend socket pauses while the client is slow).
import { concatBytes } from "../bytes.ts";

/** Response-body queue before the backend socket is paused. */
const BODY_HIGH_WATER = 64 * 1024;

/** What the body asks of the exchange that feeds it. */
export interface BodySource {
  /** Stop reading the backend (the client's queue is full). */
  pause(): void;
  /** Read the backend again. */
  resume(): void;
  /** The client cancelled the body. */
  cancelled(): void;
}

/** One response's body. Chunks that arrive before the response is handed over are held, then sent first. */
export class ResponseBody {
  readonly #source: BodySource;
  /** One chunk per socket read (see FetchOptions.mergeChunks). */
  readonly #merge: boolean;
  /** Error a failed body with `undefined` (see FetchOptions.quietBodyErrors). */
  readonly #quiet: boolean;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Chunks that came before the hand-over (same socket read as the head). */
  #held: Uint8Array[] | undefined;
  /** With #merge: chunks of the current socket read, not yet handed to the stream. */
  #pending: Uint8Array[] | undefined;
  #paused = false;
  /** Body bytes handed to the client. */
  bytesOut = 0;
  readonly #flushPending = () => this.flush();

  constructor(source: BodySource, merge: boolean, quiet: boolean) {
    this.#source = source;
    this.#merge = merge;
    this.#quiet = quiet;
  }

  /** The backend is paused for this body's sake. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The head is parsed: `first` (what followed it) and later chunks wait for open() or bytes(). */
  hold(first: Uint8Array): void {
    this.#held = first.length > 0 ? [first] : [];
  }

  /** Bytes held so far. */
  heldBytes(): number {
    let n = 0;
    if (this.#held) for (const c of this.#held) n += c.length;
    return n;
  }

  /** Hand-over as a stream (null when the response has no body); call sendHeld() once it is handed over. */
  open(noBody: boolean): ReadableStream<Uint8Array> | null {
    if (noBody) return null;
    return new ReadableStream<Uint8Array>(
      {
        start: (c) => { this.#controller = c; },
        pull: () => {
          if (!this.#paused) return;
          this.#paused = false;
          this.#source.resume();
        },
        cancel: () => { this.#source.cancelled(); },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER }),
    );
  }

  /** After open(): the held chunks go first. */
  sendHeld(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) for (const chunk of held) this.enqueue(chunk);
  }

  /** Hand-over as bytes: the whole body arrived with its head (null when the response has no body). */
  bytes(noBody: boolean): Uint8Array | null {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (noBody) return null;
    const body = concatBytes(held);
    this.bytesOut += body.length;
    return body;
  }

  /** The response will not be handed over (it failed before): held chunks are dropped. */
  drop(): void {
    this.#held = undefined;
  }

  /** More body from the backend. */
  enqueue(data: Uint8Array): void {
    if (this.#held) {
      this.#held.push(data);
      return;
    }
    if (!this.#controller) return; // no body for this response: drained and dropped
    if (!this.#merge) {
      this.#push(data);
      return;
    }
    if (this.#pending) {
      this.#pending.push(data);
      return;
    }
    this.#pending = [data];
    queueMicrotask(this.#flushPending);
  }

  /** With merging: the STDOUT records of one socket read as one chunk (libfcgi writes 8 KiB records). */
  flush(): void {
    const chunks = this.#pending;
    if (!chunks) return;
    this.#pending = undefined;
    this.#push(chunks.length === 1 ? chunks[0]! : concatBytes(chunks));
  }

  /** The body is complete. */
  close(): void {
    this.flush();
    try {
      this.#controller?.close();
    } catch {
      // the client cancelled the body in the meantime
    }
  }

  /** The body ends incomplete: whoever reads it (a tee, a logging middleware) sees it fail, as fetch() bodies do. */
  error(error: Error): void {
    try {
      this.#controller?.error(this.#quiet ? undefined : error);
    } catch {
      // already cancelled or closed
    }
  }

  /** Clears the pause at the end (a pooled connection must not stay paused); true when it was paused. */
  unpause(): boolean {
    if (!this.#paused) return false;
    this.#paused = false;
    return true;
  }

  #push(data: Uint8Array): void {
    const c = this.#controller;
    if (!c) return;
    this.bytesOut += data.length;
    try {
      c.enqueue(data);
    } catch {
      return; // cancelled
    }
    if ((c.desiredSize ?? 1) <= 0 && !this.#paused) {
      this.#paused = true;
      this.#source.pause();
    }
  }
}

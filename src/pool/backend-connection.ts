// One connection to a FastCGI backend: owns the socket and the record decoder, and hands each record to the
// request it belongs to. Requests bind a request id while they run: one at a time, or several when the backend
// multiplexes (FCGI_MPXS_CONNS=1).
import { RecordDecoder } from "../protocol/decoder.ts";
import { MAX_REQUEST_ID, RecordType } from "../protocol/constants.ts";
import { abortRequest } from "../protocol/encode.ts";
import { ConnectionClosed, ProtocolError, type TransportError } from "../errors.ts";
import type { Conn } from "../transport/types.ts";

/** What one request hears from its connection. */
export interface ChannelHandlers {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
  /** END_REQUEST for this request id. */
  end(appStatus: number, protocolStatus: number): void;
  /** The connection failed or closed while the request was bound. */
  failed(error: Error): void;
  /** Its response has begun (a first byte arrived). */
  readonly responding: boolean;
}

export class BackendConnection {
  readonly #conn: Conn;
  readonly #decoder: RecordDecoder;
  readonly #channels = new Map<number, ChannelHandlers>();
  /** Ids whose request we aborted on a connection we keep: their records are dropped until END_REQUEST. */
  readonly #aborted = new Set<number>();
  /**
   * Ids whose END_REQUEST arrived, until they are used again: some applications (node-fastcgi) close a
   * stream after END_REQUEST, and such a stray empty record is dropped rather than failing the connection.
   */
  readonly #ended = new Set<number>();
  /** Ids handed out in a lease whose request has not bound yet (concurrent acquires must not share one). */
  readonly #reserved = new Set<number>();
  #closed = false;
  /** Set once the peer half-closed or anything went wrong: the connection must not be reused. */
  #broken = false;
  /** Requests this connection has carried, for telling a reused connection from a fresh one. */
  served = 0;
  /** When it last became idle (ms since epoch). */
  idleSince = 0;
  /** Called once when the connection is closed, whatever closed it. */
  onClose: (() => void) | undefined;
  /** Called when an aborted request's END_REQUEST frees its id. */
  onIdFreed: ((id: number) => void) | undefined;

  constructor(conn: Conn) {
    this.#conn = conn;
    const channels = this.#channels;
    const aborted = this.#aborted;
    const ended = this.#ended;
    this.#decoder = new RecordDecoder(
      {
        stream(type, id, data) {
          const ch = channels.get(id);
          if (!ch) return;
          if (type === RecordType.STDOUT) ch.stdout(data);
          else if (type === RecordType.STDERR) ch.stderr(data);
        },
        streamEnd() {},
        beginRequest() {},
        abortRequest() {},
        endRequest: (id, appStatus, protocolStatus) => {
          if (aborted.delete(id)) {
            this.onIdFreed?.(id);
            return;
          }
          const ch = channels.get(id);
          if (!ch) return;
          channels.delete(id);
          ended.add(id);
          ch.end(appStatus, protocolStatus);
        },
        management() {},
      },
      { isExpectedRequestId: (id) => channels.has(id) || aborted.has(id) || ended.has(id) },
    );
    conn.setHandlers({
      data: (chunk) => {
        try {
          this.#decoder.push(chunk);
        } catch (e) {
          this.#fail(e instanceof ProtocolError ? e : new ProtocolError("decoder-failed", String(e)));
        }
      },
      end: () => {
        this.#broken = true;
        this.#fail(new ConnectionClosed("backend closed the connection"));
      },
      close: (error?: TransportError) => {
        this.#closed = true;
        this.#broken = true;
        this.#fail(error ?? new ConnectionClosed("backend connection closed"));
        const cb = this.onClose;
        this.onClose = undefined;
        cb?.();
      },
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Usable for more requests: not closed, not half-closed, no protocol error. */
  get healthy(): boolean {
    return !this.#closed && !this.#broken;
  }

  /** Requests in flight on it, aborted ones still draining included. */
  get active(): number {
    return this.#channels.size + this.#aborted.size + this.#reserved.size;
  }

  /** A request on it has begun receiving its response (the backend is serving this connection now). */
  get responding(): boolean {
    for (const ch of this.#channels.values()) if (ch.responding) return true;
    return false;
  }

  /** True when the connection may carry another request alone: nothing pending, no partial record buffered. */
  get reusable(): boolean {
    return this.healthy && this.active === 0 && this.#decoder.idle;
  }

  /** Takes the lowest request id not in use on this connection, until `bind` or `unbind`. */
  reserveRequestId(): number {
    for (let id = 1; id <= MAX_REQUEST_ID; id++) {
      if (!this.#channels.has(id) && !this.#aborted.has(id) && !this.#reserved.has(id)) {
        this.#reserved.add(id);
        this.#ended.delete(id);
        return id;
      }
    }
    throw new Error("no free request id");
  }

  bind(requestId: number, handlers: ChannelHandlers): void {
    this.#reserved.delete(requestId);
    this.#channels.set(requestId, handlers);
    this.served++;
  }

  unbind(requestId: number): void {
    this.#reserved.delete(requestId);
    this.#channels.delete(requestId);
  }

  /** FCGI_ABORT_REQUEST for one request, keeping the connection: its records are dropped until END_REQUEST. */
  abort(requestId: number): void {
    this.#channels.delete(requestId);
    if (!this.healthy) return;
    this.#aborted.add(requestId);
    this.#conn.write(abortRequest(requestId));
  }

  write(data: Uint8Array): boolean {
    return this.#conn.write(data);
  }

  drained(): Promise<void> {
    return this.#conn.drained();
  }

  pause(): void {
    this.#conn.pause();
  }

  resume(): void {
    this.#conn.resume();
  }

  close(): void {
    this.#broken = true;
    this.#conn.close();
  }

  #fail(error: Error): void {
    this.#broken = true;
    this.#aborted.clear();
    this.#reserved.clear();
    if (this.#channels.size > 0) {
      const bound = [...this.#channels.values()];
      this.#channels.clear();
      for (const ch of bound) ch.failed(error);
    }
    if (!this.#closed) this.#conn.close();
  }
}

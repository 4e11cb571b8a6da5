// One connection to a FastCGI backend: owns the socket and the record decoder, and hands each record to the
// request it belongs to. Requests bind a request id while they run (one at a time today; the multiplexing of
// issue B binds several).
import { RecordDecoder } from "../protocol/decoder.ts";
import { RecordType } from "../protocol/constants.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { Conn, TransportError } from "../transport/types.ts";

/** What one request hears from its connection. */
export interface ChannelHandlers {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
  /** END_REQUEST for this request id. */
  end(appStatus: number, protocolStatus: number): void;
  /** The connection failed or closed while the request was bound. */
  failed(error: Error): void;
}

export class BackendConnection {
  readonly #conn: Conn;
  readonly #decoder: RecordDecoder;
  readonly #channels = new Map<number, ChannelHandlers>();
  #closed = false;
  /** Set once the peer half-closed or anything went wrong: the connection must not be reused. */
  #broken = false;
  readonly createdAt = Date.now();

  constructor(conn: Conn) {
    this.#conn = conn;
    const channels = this.#channels;
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
        endRequest(id, appStatus, protocolStatus) {
          const ch = channels.get(id);
          if (!ch) return;
          channels.delete(id);
          ch.end(appStatus, protocolStatus);
        },
        management() {},
      },
      { isExpectedRequestId: (id) => channels.has(id) },
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
      },
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when the connection may carry another request: nothing pending, nothing half-read. */
  get reusable(): boolean {
    return !this.#closed && !this.#broken && this.#channels.size === 0 && this.#decoder.idle;
  }

  bind(requestId: number, handlers: ChannelHandlers): void {
    this.#channels.set(requestId, handlers);
  }

  unbind(requestId: number): void {
    this.#channels.delete(requestId);
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
    if (this.#channels.size > 0) {
      const bound = [...this.#channels.values()];
      this.#channels.clear();
      for (const ch of bound) ch.failed(error);
    }
    if (!this.#closed) this.#conn.close();
  }
}

/** The backend closed the connection (FIN or reset) while a request was waiting for records. */
export class ConnectionClosed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionClosed";
  }
}

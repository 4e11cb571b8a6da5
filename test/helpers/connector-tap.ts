// Wraps a gateway's Connector to record the bytes of every backend connection, both ways. Integration tests
// use it to see what we actually sent (PHP rewrites SCRIPT_FILENAME before a script can read it) and which
// record types came back (FCGI_STDERR vs FCGI_STDOUT).
import { RecordDecoder, RecordType, decodePairs } from "../../src/protocol/index.ts";
import { runtimeConnector } from "../../src/platform/connector.ts";
import type { Conn, Connector, Endpoint } from "../../src/transport/types.ts";
import { concat } from "./bytes.ts";

export interface TappedRecord {
  readonly type: number;
  readonly requestId: number;
  /** Stream content (one record may show up as several pieces; `streamRecords` joins them). */
  readonly content: Uint8Array;
}

export interface TappedConnection {
  readonly endpoint: Endpoint;
  /** Whether more than the cap passed in a direction (recording stopped there). */
  readonly truncated: boolean;
  /** Records we sent, and the backend's, in order (stream pieces; empty content marks a stream's end). */
  sentRecords(): TappedRecord[];
  receivedRecords(): TappedRecord[];
  /** The FCGI_PARAMS we sent, decoded. A repeated name keeps its last value. */
  params(): Map<string, string>;
  /** Concatenated content of one stream type, sent or received. */
  sentStream(type: number): Uint8Array;
  receivedStream(type: number): Uint8Array;
}

export interface Tap {
  readonly connector: Connector;
  readonly connections: TappedConnection[];
  /** The most recently opened connection; throws when there is none. */
  last(): TappedConnection;
}

/** Records up to `cap` bytes per direction per connection (default 1 MiB). */
export function tapConnector(inner?: Connector, cap = 1024 * 1024): Tap {
  const connections: TappedConnection[] = [];
  let innerPromise: Promise<Connector> | undefined;
  const connector: Connector = async (endpoint, options) => {
    const real = inner ?? (await (innerPromise ??= runtimeConnector()));
    const conn = await real(endpoint, options);
    const tapped = new Recorder(endpoint, cap);
    connections.push(tapped);
    return tapped.wrap(conn);
  };
  return {
    connector,
    connections,
    last() {
      const c = connections.at(-1);
      if (!c) throw new Error("the gateway opened no backend connection");
      return c;
    },
  };
}

class Recorder implements TappedConnection {
  readonly endpoint: Endpoint;
  readonly #cap: number;
  readonly #sent: Uint8Array[] = [];
  readonly #received: Uint8Array[] = [];
  #sentBytes = 0;
  #receivedBytes = 0;
  truncated = false;

  constructor(endpoint: Endpoint, cap: number) {
    this.endpoint = endpoint;
    this.#cap = cap;
  }

  wrap(conn: Conn): Conn {
    const self = this;
    return {
      setHandlers(h) {
        conn.setHandlers({
          data(chunk) {
            self.#record(self.#received, chunk, "received");
            h.data(chunk);
          },
          end: () => h.end(),
          close: (e) => h.close(e),
        });
      },
      write(data) {
        self.#record(self.#sent, data, "sent");
        return conn.write(data);
      },
      drained: () => conn.drained(),
      pause: () => conn.pause(),
      resume: () => conn.resume(),
      shutdownWrite: () => conn.shutdownWrite(),
      close: () => conn.close(),
      get closed() {
        return conn.closed;
      },
    };
  }

  #record(into: Uint8Array[], data: Uint8Array, way: "sent" | "received"): void {
    const used = way === "sent" ? this.#sentBytes : this.#receivedBytes;
    const room = this.#cap - used;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    // A copy: the sender may reuse its buffer, the receiver owns the chunk.
    const copy = data.slice(0, Math.min(room, data.length));
    if (copy.length < data.length) this.truncated = true;
    into.push(copy);
    if (way === "sent") this.#sentBytes += copy.length;
    else this.#receivedBytes += copy.length;
  }

  sentRecords(): TappedRecord[] {
    return decode(this.#sent);
  }

  receivedRecords(): TappedRecord[] {
    return decode(this.#received);
  }

  params(): Map<string, string> {
    return new Map(decodePairs(this.sentStream(RecordType.PARAMS)));
  }

  sentStream(type: number): Uint8Array {
    return concat(this.sentRecords().filter((r) => r.type === type).map((r) => r.content));
  }

  receivedStream(type: number): Uint8Array {
    return concat(this.receivedRecords().filter((r) => r.type === type).map((r) => r.content));
  }
}

const EMPTY = new Uint8Array(0);

function decode(chunks: readonly Uint8Array[]): TappedRecord[] {
  const out: TappedRecord[] = [];
  const decoder = new RecordDecoder({
    stream: (type, requestId, data) => void out.push({ type, requestId, content: data.slice() }),
    streamEnd: (type, requestId) => void out.push({ type, requestId, content: EMPTY }),
    beginRequest: (requestId) => void out.push({ type: RecordType.BEGIN_REQUEST, requestId, content: EMPTY }),
    abortRequest: (requestId) => void out.push({ type: RecordType.ABORT_REQUEST, requestId, content: EMPTY }),
    endRequest: (requestId) => void out.push({ type: RecordType.END_REQUEST, requestId, content: EMPTY }),
    management: (type, content) => void out.push({ type, requestId: 0, content }),
  });
  for (const c of chunks) decoder.push(c);
  return out;
}


// A small FastCGI application server (the RESPONDER role) built on the project's own codec: the demo backend
// behind `npm start`, the test backends, and later the benchmark's JS backend. It answers FCGI_GET_VALUES,
// honours FCGI_KEEP_CONN, can multiplex, and reports FCGI_ABORT_REQUEST to the handler.
import { FCGI_KEEP_CONN, FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, ProtocolStatus, RecordType, Role } from "../protocol/constants.ts";
import { RecordDecoder } from "../protocol/decoder.ts";
import { endRequest, getValuesResult, streamRecords, unknownType } from "../protocol/encode.ts";
import { PairsParser, parseGetValues } from "../protocol/pairs.ts";
import { listen, type Listener } from "../transport/listen.ts";
import type { Conn, Endpoint } from "../transport/types.ts";

export interface ResponderRequest {
  readonly id: number;
  readonly params: ReadonlyMap<string, string>;
  /** FCGI_STDIN as a stream; ends at the empty STDIN record. */
  readonly stdin: ReadableStream<Uint8Array>;
  /** Aborted on FCGI_ABORT_REQUEST or when the connection goes away. */
  readonly signal: AbortSignal;
  readonly keepConn: boolean;
}

export interface ResponderReply {
  /** Sends STDOUT; resolves when the socket can take more (backpressure). */
  stdout(data: Uint8Array | string): Promise<void>;
  stderr(data: Uint8Array | string): Promise<void>;
  /** Ends STDOUT/STDERR and sends END_REQUEST. Closes the connection unless the gateway asked to keep it. */
  end(appStatus?: number, protocolStatus?: number): void;
  /** The raw connection, for backends that misbehave on purpose. */
  readonly conn: Conn;
}

export type ResponderHandler = (request: ResponderRequest, reply: ResponderReply) => void | Promise<void>;

export interface ResponderOptions {
  /** Answer FCGI_MPXS_CONNS=1 and serve several requests on one connection at once. */
  readonly multiplex?: boolean;
  readonly maxConns?: number;
  readonly maxReqs?: number;
  /** Called on each FCGI_ABORT_REQUEST received (tests count them). */
  readonly onAbort?: (id: number) => void;
}

export interface ResponderServer extends Listener {
  /** ABORT_REQUEST records received so far. */
  readonly aborts: number;
  /** GET_VALUES records answered so far. */
  readonly getValues: number;
}

const encoder = new TextEncoder();
const bytes = (d: Uint8Array | string) => (typeof d === "string" ? encoder.encode(d) : d);

export async function serveResponder(endpoint: Endpoint, handler: ResponderHandler, options: ResponderOptions = {}): Promise<ResponderServer> {
  let aborts = 0;
  let getValues = 0;
  const listener = await listen(endpoint, (conn) => {
    serveConnection(conn, handler, options, {
      abort: (id) => {
        aborts++;
        options.onAbort?.(id);
      },
      getValues: () => getValues++,
    });
  });
  return {
    get endpoint() { return listener.endpoint; },
    get connections() { return listener.connections; },
    get accepted() { return listener.accepted; },
    get aborts() { return aborts; },
    get getValues() { return getValues; },
    close: () => listener.close(),
  };
}

interface Live {
  params: PairsParser;
  env: Map<string, string>;
  stdin: ReadableStreamDefaultController<Uint8Array> | undefined;
  stdinStream: ReadableStream<Uint8Array>;
  aborter: AbortController;
  keepConn: boolean;
  ended: boolean;
}

function serveConnection(
  conn: Conn,
  handler: ResponderHandler,
  options: ResponderOptions,
  count: { abort(id: number): void; getValues(): void },
): void {
  const live = new Map<number, Live>();

  const send = async (data: Uint8Array) => {
    if (conn.closed) return;
    if (!conn.write(data)) await conn.drained().catch(() => {});
  };

  const start = (id: number, req: Live) => {
    const reply: ResponderReply = {
      conn,
      stdout: (d) => (req.ended ? Promise.resolve() : send(streamRecords(RecordType.STDOUT, id, bytes(d)))),
      stderr: (d) => (req.ended ? Promise.resolve() : send(streamRecords(RecordType.STDERR, id, bytes(d)))),
      end(appStatus = 0, protocolStatus = ProtocolStatus.REQUEST_COMPLETE) {
        if (req.ended) return;
        req.ended = true;
        live.delete(id);
        if (!conn.closed) {
          conn.write(streamRecords(RecordType.STDOUT, id, new Uint8Array(0), true));
          conn.write(endRequest(id, appStatus, protocolStatus));
          if (!req.keepConn) {
            conn.shutdownWrite();
            // Some gateways never close their side; do not keep the socket forever.
            setTimeout(() => conn.close(), 1000).unref?.();
          }
        }
      },
    };
    Promise.resolve()
      .then(() => handler({ id, params: req.env, stdin: req.stdinStream, signal: req.aborter.signal, keepConn: req.keepConn }, reply))
      .catch((e) => {
        void reply.stderr(`handler failed: ${(e as Error)?.message ?? e}\n`);
        reply.end(1);
      });
  };

  const decoder = new RecordDecoder({
    stream(type, id, data) {
      const req = live.get(id);
      if (!req) return;
      if (type === RecordType.PARAMS) for (const [k, v] of req.params.push(data)) req.env.set(k, v);
      else if (type === RecordType.STDIN) req.stdin?.enqueue(data.slice());
    },
    streamEnd(type, id) {
      const req = live.get(id);
      if (!req) return;
      if (type === RecordType.PARAMS) {
        req.params.end();
        start(id, req);
      } else if (type === RecordType.STDIN) {
        try {
          req.stdin?.close();
        } catch {
          // already cancelled by the handler
        }
      }
    },
    beginRequest(id, role, flags) {
      const keepConn = (flags & FCGI_KEEP_CONN) !== 0;
      if (role !== Role.RESPONDER) {
        conn.write(endRequest(id, 0, ProtocolStatus.UNKNOWN_ROLE));
        return;
      }
      if (live.size > 0 && !options.multiplex) {
        conn.write(endRequest(id, 0, ProtocolStatus.CANT_MPX_CONN));
        return;
      }
      let stdin: ReadableStreamDefaultController<Uint8Array> | undefined;
      const stdinStream = new ReadableStream<Uint8Array>({ start: (c) => { stdin = c; } });
      live.set(id, { params: new PairsParser(), env: new Map(), stdin, stdinStream, aborter: new AbortController(), keepConn, ended: false });
    },
    abortRequest(id) {
      count.abort(id);
      const req = live.get(id);
      if (!req) return;
      req.aborter.abort();
      try {
        req.stdin?.error(new Error("aborted"));
      } catch {
        // closed
      }
    },
    endRequest() {},
    management(type, content) {
      if (type !== RecordType.GET_VALUES) {
        conn.write(unknownType(type));
        return;
      }
      count.getValues();
      const asked = parseGetValues(content);
      const known: Record<string, string> = {
        [FCGI_MAX_CONNS]: String(options.maxConns ?? 100),
        [FCGI_MAX_REQS]: String(options.maxReqs ?? (options.multiplex ? 1000 : 100)),
        [FCGI_MPXS_CONNS]: options.multiplex ? "1" : "0",
      };
      conn.write(getValuesResult([...asked.keys()].filter((k) => k in known).map((k) => [k, known[k]!] as const)));
    },
  }, { isExpectedRequestId: () => true });

  conn.setHandlers({
    data(chunk) {
      try {
        decoder.push(chunk);
      } catch {
        conn.close();
      }
    },
    end() {
      // The gateway closed its side: whatever is still running has nobody to answer (spec §3.5).
      conn.close();
    },
    close() {
      for (const req of live.values()) {
        req.aborter.abort();
        try {
          req.stdin?.error(new Error("connection closed"));
        } catch {
          // closed
        }
      }
      live.clear();
    },
  });
  conn.resume();
}

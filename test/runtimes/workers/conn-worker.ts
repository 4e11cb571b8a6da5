// A Worker that drives the cloudflare:sockets Conn (src/transport/workers.ts) through the Conn contract inside
// workerd, one scenario per path, against servers the test runs on loopback. Each answers a JSON report.
import { workersConnector } from "../../../src/transport/workers.ts";
import { TransportError, type Conn, type Endpoint } from "../../../src/transport/types.ts";
import { pattern } from "./pattern.ts";

const connect = workersConnector();
const TIMEOUT = { timeoutMs: 3000 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const hex = async (bytes: Uint8Array<ArrayBuffer>): Promise<string> =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-1", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Everything a Conn reports, in order. */
class Recording {
  readonly chunks: Uint8Array[] = [];
  readonly events: string[] = [];
  bytes = 0;
  closeError: TransportError | undefined;
  closeCount = 0;
  readonly closed: Promise<void>;
  constructor(readonly conn: Conn) {
    let done!: () => void;
    this.closed = new Promise<void>((r) => (done = r));
    conn.setHandlers({
      data: (chunk) => {
        this.chunks.push(chunk);
        this.bytes += chunk.byteLength;
        if (this.events.at(-1) !== "data") this.events.push("data");
      },
      end: () => void this.events.push("end"),
      close: (error) => {
        this.closeCount++;
        this.closeError = error;
        this.events.push(error ? `close:${error.code}` : "close");
        done();
      },
    });
  }
  all(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
  text(): string {
    return new TextDecoder().decode(this.all());
  }
}

const failure = (e: unknown) =>
  e instanceof TransportError ? { error: { name: e.name, code: e.code, message: e.message } } : { error: { name: "other", message: String(e) } };

const scenarios: Record<string, (q: URLSearchParams) => Promise<unknown>> = {
  /** Write, half-close, and still read the reply the server sends after our FIN. */
  async halfclose(q) {
    const rec = new Recording(await connect(tcp(q), TIMEOUT));
    rec.conn.write(new TextEncoder().encode("hello"));
    rec.conn.shutdownWrite();
    await rec.closed;
    return { text: rec.text(), events: rec.events, closed: rec.conn.closed };
  },
  /** Writes `size` bytes to a server that starts reading late: write() says false, drained() waits. */
  async backpressure(q) {
    const size = Number(q.get("size"));
    const rec = new Recording(await connect(tcp(q), TIMEOUT));
    const data = pattern(size, 7);
    const started = Date.now();
    let refusals = 0;
    let waitedMs = 0;
    for (let at = 0; at < size; at += 65536) {
      if (!rec.conn.write(data.subarray(at, at + 65536))) {
        refusals++;
        const t = Date.now();
        await rec.conn.drained();
        waitedMs += Date.now() - t;
      }
    }
    rec.conn.shutdownWrite();
    await rec.closed;
    return { refusals, waitedMs, totalMs: Date.now() - started, reply: rec.text(), events: rec.events };
  },
  /** Paused from the start: nothing is delivered until resume(), then everything, in order. */
  async pause(q) {
    const conn = await connect(tcp(q), TIMEOUT);
    const rec = new Recording(conn);
    conn.pause();
    await sleep(Number(q.get("ms") ?? 200));
    const whilePaused = rec.bytes;
    conn.resume();
    // Pause again mid-stream once, to check the hold-and-replay path too.
    await sleep(5);
    conn.pause();
    const second = rec.bytes;
    await sleep(50);
    const stillSecond = rec.bytes === second;
    conn.resume();
    await rec.closed;
    return { whilePaused, stillSecond, bytes: rec.bytes, sha1: await hex(rec.all()), events: rec.events };
  },
  /** close() twice: one close event, no error; then write() is false and drained() rejects with ECLOSED. */
  async close(q) {
    const rec = new Recording(await connect(tcp(q), TIMEOUT));
    rec.conn.write(new Uint8Array(10));
    rec.conn.close();
    rec.conn.close();
    await rec.closed;
    await sleep(20);
    const writeAfter = rec.conn.write(new Uint8Array(1));
    const drained = await rec.conn.drained().then(() => "resolved", (e: TransportError) => e.code);
    return { closeCount: rec.closeCount, closeError: rec.closeError?.code ?? null, writeAfter, drained, closed: rec.conn.closed };
  },
  /** The server closes while we wait: end, then close with no error (workerd reads a reset as an end too). */
  async peerclose(q) {
    const rec = new Recording(await connect(tcp(q), TIMEOUT));
    await rec.closed;
    return { text: rec.text(), events: rec.events };
  },
  async connect(q) {
    try {
      const conn = await connect(tcp(q), TIMEOUT);
      conn.close();
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  },
  async tls(q) {
    try {
      const conn = await workersConnector({ secureTransport: "on" })(tcp(q), TIMEOUT);
      conn.close();
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  },
  async unix() {
    try {
      await connect({ kind: "unix", path: "/run/php/fpm.sock" }, TIMEOUT);
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  },
};

function tcp(q: URLSearchParams): Endpoint {
  return { kind: "tcp", host: q.get("host") ?? "127.0.0.1", port: Number(q.get("port")) };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const run = scenarios[url.pathname.slice(1)];
    if (!run) return new Response("no such scenario", { status: 404 });
    try {
      return Response.json(await run(url.searchParams));
    } catch (e) {
      return Response.json({ thrown: String((e as Error)?.stack ?? e) }, { status: 500 });
    }
  },
};

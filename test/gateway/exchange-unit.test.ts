// Exchange (src/gateway/exchange.ts) against in-memory connections: a real BackendPool (probe off) on a
// MemoryConnector whose backend side the tests read as decoded records and answer with the project's own
// encoders, and a real ticker with a short period. Covers the hand-over of the response (bytes or stream),
// failures before and after the head, the stale-connection retry, the client leaving, backpressure both ways,
// STDERR lines and cut(). Every wait is bounded (within/until, ≤ 300 ms).
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Exchange, type ExchangeOutcome, type ExchangeOwner, type ExchangeParams } from "../../src/gateway/exchange.ts";
import type { ProxyResponse } from "../../src/gateway/messages.ts";
import type { BodyPlan } from "../../src/gateway/request-body.ts";
import { PerItemTicker, SharedTicker, type Ticker } from "../../src/gateway/ticker.ts";
import { BackendPool, POOL_DEFAULTS, type PoolOptions } from "../../src/pool/backend-pool.ts";
import { DEFAULT_HEAD_LIMITS } from "../../src/cgi/response-head.ts";
import { encodeRequestHead } from "../../src/protocol/request-head.ts";
import { endRequest, streamRecords } from "../../src/protocol/encode.ts";
import { ProtocolStatus, RecordType } from "../../src/protocol/constants.ts";
import {
  BadGateway, ClientGone, ConnectFailed, CutAtShutdown, GatewayTimeout, PayloadTooLarge, ServiceUnavailable,
} from "../../src/errors.ts";
import type { AbortHook } from "../../src/connection-info.ts";
import type { UnrefTimer } from "../../src/platform/types.ts";
import type { Endpoint } from "../../src/transport/types.ts";
import { MemoryConnector, until, within, type MemoryBackend, type MemoryConnOptions } from "../helpers/memory-conn.ts";
import { concat } from "../helpers/bytes.ts";

const ENDPOINT: Endpoint = { kind: "tcp", host: "127.0.0.1", port: 9000 };
const unrefQuietly: UnrefTimer = (t) => (t as { unref?: () => void }).unref?.();
const TICK_MS = 10;
const enc = new TextEncoder();
const dec = new TextDecoder();

// --- per-test resources, all released in afterEach ---

let cleanups: Array<() => void> = [];

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

interface Rig {
  readonly mc: MemoryConnector;
  readonly pool: BackendPool;
  readonly ticker: Ticker<Exchange>;
}

function rig(opts: { ticker?: "shared" | "per-item"; pool?: Partial<PoolOptions>; conn?: MemoryConnOptions } = {}): Rig {
  const mc = new MemoryConnector(opts.conn);
  const pool = new BackendPool(ENDPOINT, { connector: mc.connector, unrefTimer: unrefQuietly }, { ...POOL_DEFAULTS, probe: false, ...opts.pool });
  const ticker: Ticker<Exchange> = opts.ticker === "per-item" ? new PerItemTicker<Exchange>(TICK_MS) : new SharedTicker<Exchange>(TICK_MS, unrefQuietly);
  cleanups.push(() => mc.dispose(), () => pool.close(), () => ticker.close());
  return { mc, pool, ticker };
}

/** An ExchangeOwner that records every call. */
interface RecordingOwner extends ExchangeOwner {
  readonly dones: ExchangeOutcome[];
  readonly lines: string[];
  readonly connectFailures: ConnectFailed[];
  clientGoneCalls: number;
}

function recordingOwner(opts: { handBack?: boolean; hook?: AbortHook } = {}): RecordingOwner {
  const owner: RecordingOwner = {
    dones: [],
    lines: [],
    connectFailures: [],
    clientGoneCalls: 0,
    clientGone() {
      owner.clientGoneCalls++;
      return opts.hook;
    },
    stderrLine(line) {
      owner.lines.push(line);
    },
    connectFailed(error) {
      owner.connectFailures.push(error);
      return opts.handBack === true;
    },
    done(outcome) {
      owner.dones.push(outcome);
    },
  };
  return owner;
}

interface Started {
  readonly exchange: Exchange;
  readonly owner: RecordingOwner;
  readonly response: Promise<ProxyResponse | undefined>;
  readonly head: Uint8Array;
  /** Set once `response` settled (it must never reject). */
  readonly state: { settled: boolean; rejected: boolean };
}

interface StartOptions extends Partial<Omit<ExchangeParams, "pool" | "ticker" | "owner" | "head">> {
  readonly owner?: RecordingOwner;
  readonly method?: string;
}

/** Builds the head as the gateway does (an empty or inline body's STDIN rides along) and runs the exchange. */
function start(r: Rig, o: StartOptions = {}): Started {
  const body: BodyPlan = o.body ?? { kind: "none", length: undefined };
  const method = o.method ?? "GET";
  const params: Array<[string, string]> = [
    ["REQUEST_METHOD", method],
    ["SCRIPT_FILENAME", "/srv/app/index.php"],
    ["REQUEST_URI", "/index.php"],
  ];
  if (body.length !== undefined) params.push(["CONTENT_LENGTH", String(body.length)]);
  const head = encodeRequestHead({
    requestId: 1,
    keepConn: r.pool.keepConn,
    params,
    ...(body.kind === "inline" ? { stdin: body.bytes } : body.kind === "none" ? { stdin: new Uint8Array(0) } : {}),
  });
  const owner = o.owner ?? recordingOwner();
  const exchange = new Exchange({
    pool: r.pool,
    connectTimeoutMs: o.connectTimeoutMs ?? 100,
    ioTimeoutMs: o.ioTimeoutMs ?? 5_000,
    limits: o.limits ?? DEFAULT_HEAD_LIMITS,
    maxStderr: o.maxStderr ?? 4096,
    head,
    body,
    discardBody: o.discardBody ?? method === "HEAD",
    mergeChunks: o.mergeChunks ?? false,
    quietBodyErrors: o.quietBodyErrors ?? false,
    retryable: o.retryable ?? true,
    ticker: r.ticker,
    owner,
  });
  const state = { settled: false, rejected: false };
  const response = exchange.run();
  response.then(() => { state.settled = true; }, () => { state.settled = true; state.rejected = true; });
  return { exchange, owner, response, head, state };
}

// --- the backend's side ---

function stdout(data: string | Uint8Array, id = 1): Uint8Array {
  return streamRecords(RecordType.STDOUT, id, typeof data === "string" ? enc.encode(data) : data);
}

function stderr(data: string, id = 1): Uint8Array {
  return streamRecords(RecordType.STDERR, id, enc.encode(data));
}

/** The end of STDOUT and END_REQUEST, as an application ends a request. */
function finish(id = 1, protocolStatus: number = ProtocolStatus.REQUEST_COMPLETE): Uint8Array {
  return concat([streamRecords(RecordType.STDOUT, id, new Uint8Array(0), true), endRequest(id, 0, protocolStatus)]);
}

const OK_HEAD = "Content-Type: text/plain\r\n\r\n";

/** The backend of connection `index` once the gateway's request head (PARAMS end) has reached it. */
async function backendWithRequest(mc: MemoryConnector, index = 0, requests = 1): Promise<MemoryBackend> {
  await until(() => {
    const b = mc.backends[index];
    if (!b) return false;
    return b.records().filter((rec) => rec.type === RecordType.PARAMS && rec.content.length === 0).length >= requests;
  }, 300, `request ${requests} on backend connection ${index}`);
  return mc.backends[index]!;
}

/** What the next read of a body that is about to fail rejects with ("nothing" when it does not fail). */
async function failedRead(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<unknown> {
  try {
    await within(reader.read(), 300, "the failed read");
  } catch (e) {
    return e;
  }
  return "nothing";
}

function recordTypes(b: MemoryBackend): number[] {
  return b.records().map((rec) => rec.type);
}

function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >>> 8)) & 0xff;
  return out;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await within(reader.read(), 300, "a body chunk");
    if (done) break;
    assert.ok(value instanceof Uint8Array, "body chunks are Uint8Array");
    chunks.push(value);
  }
  return concat(chunks);
}

function asStream(body: ProxyResponse["body"]): ReadableStream<Uint8Array> {
  assert.ok(body instanceof ReadableStream, `expected a ReadableStream body, got ${body === null ? "null" : body?.constructor.name}`);
  return body;
}

function asBytes(body: ProxyResponse["body"]): Uint8Array {
  assert.ok(body instanceof Uint8Array, `expected a Uint8Array body, got ${body === null ? "null" : body?.constructor.name}`);
  return body;
}

async function settledResponse(s: Started): Promise<ProxyResponse> {
  const res = await within(s.response, 300, "the response");
  assert.ok(res, "run() resolved with a response");
  return res;
}

/** Lets pending microtasks and a few macrotasks run (to show something did NOT happen). */
function pause(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The one outcome `done` was called with (exactly once). */
function onlyOutcome(owner: RecordingOwner): ExchangeOutcome {
  assert.equal(owner.dones.length, 1, `done() called ${owner.dones.length} times`);
  return owner.dones[0]!;
}

/** An error response of `status` with done() carrying an error of class `kind`. */
async function assertErrorResponse(s: Started, status: number, kind: abstract new (...args: never[]) => Error): Promise<ExchangeOutcome> {
  const res = await settledResponse(s);
  assert.equal(s.state.rejected, false);
  assert.equal(res.status, status);
  assert.match(dec.decode(asBytes(res.body)), new RegExp(`^${status} `));
  await until(() => s.owner.dones.length > 0, 300, "done()");
  const outcome = onlyOutcome(s.owner);
  assert.ok(outcome.error instanceof kind, `done's error is a ${kind.name}: ${outcome.error}`);
  return outcome;
}

/** Serves one complete request on a fresh connection so that it goes back to the pool idle. */
async function serveOneAndIdle(r: Rig): Promise<MemoryBackend> {
  const first = start(r);
  const b = await backendWithRequest(r.mc, 0, 1);
  b.send(concat([stdout(`${OK_HEAD}first`), finish()]));
  const res = await settledResponse(first);
  assert.equal(dec.decode(asBytes(res.body)), "first");
  await until(() => r.pool.stats().idle === 1, 300, "the first connection to go idle");
  return b;
}

// --- the tests ---

describe("Exchange: success", () => {
  it("resolves once the CGI head is parsed, with its status and headers, before END_REQUEST", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    // What the gateway sent: BEGIN_REQUEST (keep-conn), PARAMS, the end of PARAMS, the end of STDIN.
    const recs = b.records();
    assert.deepEqual(recs.map((rec) => rec.type), [RecordType.BEGIN_REQUEST, RecordType.PARAMS, RecordType.PARAMS, RecordType.STDIN]);
    assert.equal(recs[0]!.flags, 1, "FCGI_KEEP_CONN");
    assert.ok(recs.every((rec) => rec.requestId === 1));

    b.send(stdout("Status: 201 Created\r\nContent-Type: text/plain\r\nX-One: 1\r\nX-One: 2\r\n"));
    await pause();
    assert.equal(s.state.settled, false, "no response before the blank line");
    b.send(stdout("\r\nhel"));
    const res = await settledResponse(s);
    assert.equal(res.status, 201);
    assert.equal(res.statusText, "Created");
    assert.deepEqual(res.headers, [["Content-Type", "text/plain"], ["X-One", "1"], ["X-One", "2"]]);
    assert.equal(s.owner.dones.length, 0, "not done before END_REQUEST");
    const body = asStream(res.body);
    b.send(stdout("lo"));
    b.send(finish());
    assert.equal(dec.decode(await readAll(body)), "hello");
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.status, 201);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.bytesOut, 5);
  });

  it("a small body that arrives whole with END_REQUEST is handed over as bytes; done() once; the connection goes idle", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(concat([stdout(`${OK_HEAD}hello world`), finish()]));
    const res = await settledResponse(s);
    assert.equal(res.status, 200);
    assert.equal(res.statusText, "OK");
    assert.deepEqual(res.headers, [["Content-Type", "text/plain"]]);
    assert.ok(res.body instanceof Uint8Array, "bytes, not a stream");
    assert.equal(dec.decode(res.body), "hello world");

    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.status, 200);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.clientAborted, false);
    assert.equal(outcome.bytesOut, 11);
    assert.equal(outcome.backendWritten, s.head.length, "the head is all that was written");
    assert.ok(outcome.backendRead > 0 && outcome.backendRead === OK_HEAD.length + 11, `backendRead ${outcome.backendRead}`);
    assert.equal(outcome.handedBack, undefined);
    assert.equal(b.closed, false, "a reusable connection stays open");
    assert.deepEqual([r.pool.stats().open, r.pool.stats().busy], [1, 0]);
    assert.equal(r.ticker.live().length, 0, "the exchange left the ticker");
    await pause();
    assert.equal(s.owner.dones.length, 1, "done() is not called again");
  });

  it("a body over 16 KiB that arrives whole is handed over as a stream with every byte in order", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    const data = pattern(40_000);
    b.send(concat([stdout(concat([enc.encode(OK_HEAD), data])), finish()]));
    const res = await settledResponse(s);
    assert.equal(res.status, 200);
    const got = await readAll(asStream(res.body));
    assert.equal(got.length, data.length);
    assert.deepEqual(got, data);
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.bytesOut, data.length);
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
  });

  it("a body exactly 16 KiB with END_REQUEST is still bytes; one byte more streams", async () => {
    for (const [size, streamed] of [[16 * 1024, false], [16 * 1024 + 1, true]] as const) {
      const r = rig();
      const s = start(r);
      const b = await backendWithRequest(r.mc);
      const data = pattern(size, 7);
      b.send(concat([stdout(concat([enc.encode(OK_HEAD), data])), finish()]));
      const res = await settledResponse(s);
      const got = streamed ? await readAll(asStream(res.body)) : asBytes(res.body);
      assert.deepEqual(got, data, `${size} bytes`);
    }
  });

  it("a streamed response body yields the chunks that arrive after the head, in order", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout(OK_HEAD));
    const res = await settledResponse(s);
    const body = asStream(res.body);
    const parts = [pattern(1000, 1), pattern(70_000, 2), pattern(3, 3)];
    for (const p of parts) b.send(stdout(p));
    b.send(finish());
    assert.deepEqual(await readAll(body), concat(parts));
    assert.equal(onlyOutcome(s.owner).bytesOut, 71_003);
  });

  it("mergeChunks: the STDOUT records of one socket read come out as one chunk", async () => {
    const r = rig();
    const s = start(r, { mergeChunks: true });
    const b = await backendWithRequest(r.mc);
    b.send(stdout(OK_HEAD));
    const res = await settledResponse(s);
    const reader = asStream(res.body).getReader();
    b.send(concat([stdout("abc"), stdout("def"), stdout("ghi")]));
    const first = await within(reader.read());
    assert.equal(dec.decode(first.value), "abcdefghi");
    b.send(finish());
    assert.equal((await within(reader.read())).done, true);
  });

  it("HEAD (discardBody) gets no body, whatever the backend writes, and the connection is still reused", async () => {
    const r = rig();
    const s = start(r, { method: "HEAD" });
    const b = await backendWithRequest(r.mc);
    b.send(stdout(`${OK_HEAD}ignored`));
    const res = await settledResponse(s);
    assert.equal(res.status, 200);
    assert.equal(res.body, null);
    b.send(stdout(pattern(30_000)));
    b.send(finish());
    await until(() => s.owner.dones.length === 1, 300, "done()");
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.bytesOut, 0);
    assert.equal(outcome.error, undefined);
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
  });

  for (const status of [204, 304]) {
    it(`${status} gets no body, as bytes or as a stream`, async () => {
      const r = rig();
      const whole = start(r);
      const b = await backendWithRequest(r.mc);
      b.send(concat([stdout(`Status: ${status}\r\n\r\nstray`), finish()]));
      const res = await settledResponse(whole);
      assert.equal(res.status, status);
      assert.equal(res.body, null);
      assert.equal(onlyOutcome(whole.owner).bytesOut, 0);
      await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");

      const later = start(r); // on the same, reused connection: head first, END_REQUEST in a later read
      await backendWithRequest(r.mc, 0, 2);
      b.send(stdout(`Status: ${status}\r\n\r\n`));
      const res2 = await settledResponse(later);
      assert.equal(res2.status, status);
      assert.equal(res2.body, null);
      b.send(stdout("stray"));
      b.send(finish());
      await until(() => later.owner.dones.length === 1, 300, "done()");
      assert.equal(later.owner.dones[0]!.bytesOut, 0);
    });
  }

  it("an inline body goes out with the head as STDIN records", async () => {
    const r = rig();
    const bytes = enc.encode("a=1&b=2");
    const s = start(r, { method: "POST", body: { kind: "inline", length: bytes.length, bytes } });
    const b = await backendWithRequest(r.mc);
    const stdin = b.records().filter((rec) => rec.type === RecordType.STDIN);
    assert.deepEqual(stdin.map((rec) => dec.decode(rec.content)), ["a=1&b=2", ""]);
    b.send(concat([stdout(`${OK_HEAD}ok`), finish()]));
    await settledResponse(s);
    assert.equal(onlyOutcome(s.owner).backendWritten, s.head.length);
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
  });

  it("a streamed body is pumped into STDIN records and ended; the connection is then reusable", async () => {
    const r = rig();
    const parts = [pattern(5000, 1), pattern(70_000, 2)];
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const expected = concat([pattern(5000, 1), pattern(70_000, 2)]);
    const s = start(r, { method: "PUT", body: { kind: "stream", length: expected.length, source, max: expected.length }, retryable: false });
    const b = await backendWithRequest(r.mc);
    await until(() => b.records().some((rec) => rec.type === RecordType.STDIN && rec.content.length === 0), 300, "the end of STDIN");
    const stdin = b.records().filter((rec) => rec.type === RecordType.STDIN);
    assert.deepEqual(concat(stdin.map((rec) => rec.content)), expected);
    b.send(concat([stdout(`${OK_HEAD}stored`), finish()]));
    await settledResponse(s);
    const outcome = onlyOutcome(s.owner);
    assert.ok(outcome.backendWritten > s.head.length + expected.length, `backendWritten ${outcome.backendWritten}`);
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
    assert.equal(r.pool.stats().unsafeFresh, 1, "a request that may not be resent went on a connection of its own");
  });

  it("a backend that answers before STDIN is complete: the connection is not reused", async () => {
    const r = rig();
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulls++ === 0) c.enqueue(pattern(100));
        // then never more: the client is still sending
      },
    });
    const s = start(r, { method: "POST", body: { kind: "stream", length: 1000, source, max: 1000 }, retryable: false });
    const b = await backendWithRequest(r.mc);
    await until(() => b.records().some((rec) => rec.type === RecordType.STDIN), 300, "the first STDIN record");
    b.send(concat([stdout(`Status: 413\r\n${OK_HEAD}too big`), finish()]));
    const res = await settledResponse(s);
    assert.equal(res.status, 413);
    assert.equal(onlyOutcome(s.owner).error, undefined);
    await until(() => b.closed, 300, "the connection to close");
    await until(() => r.pool.stats().open === 0, 300, "the pool to forget it");
    assert.equal(r.pool.stats().idle, 0);
  });

  it("a streamed body waits for the backend connection to drain", async () => {
    const r = rig({ conn: { writeBufferBytes: 1024 } });
    const parts = [pattern(4096, 1), pattern(4096, 2), pattern(4096, 3)];
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const s = start(r, { method: "PUT", body: { kind: "stream", length: 3 * 4096, source, max: 3 * 4096 }, retryable: false });
    const b = await backendWithRequest(r.mc);
    const stdinBytes = () => b.records().filter((rec) => rec.type === RecordType.STDIN).reduce((n, rec) => n + rec.content.length, 0);
    await until(() => stdinBytes() === 4096, 300, "the first chunk");
    await pause();
    assert.equal(stdinBytes(), 4096, "nothing more until the backend reads");
    b.take();
    await until(() => stdinBytes() === 8192, 300, "the second chunk");
    b.take();
    await until(() => stdinBytes() === 3 * 4096, 300, "the third chunk");
    b.take();
    await until(() => b.records().some((rec) => rec.type === RecordType.STDIN && rec.content.length === 0), 300, "the end of STDIN");
    b.send(concat([stdout(`${OK_HEAD}ok`), finish()]));
    assert.equal((await settledResponse(s)).status, 200);
  });
});

describe("Exchange: failures before the head resolve with an error response", () => {
  it("an invalid CGI head → 502", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout("this line has no colon\r\n\r\nbody"));
    const outcome = await assertErrorResponse(s, 502, BadGateway);
    assert.equal(outcome.status, 502);
    assert.match(outcome.error!.message, /invalid response head/);
    await until(() => b.closed, 300, "the connection to close");
  });

  it("END_REQUEST without any output → 502", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(endRequest(1, 0, ProtocolStatus.REQUEST_COMPLETE));
    const outcome = await assertErrorResponse(s, 502, BadGateway);
    assert.match(outcome.error!.message, /without any output/);
    assert.equal(outcome.status, 502);
  });

  it("END_REQUEST inside the head → 502", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(concat([stdout("Content-Type: text/plain\r\n"), finish()]));
    const outcome = await assertErrorResponse(s, 502, BadGateway);
    assert.match(outcome.error!.message, /inside the response head/);
  });

  it("FCGI_OVERLOADED → 503", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(endRequest(1, 0, ProtocolStatus.OVERLOADED));
    const outcome = await assertErrorResponse(s, 503, ServiceUnavailable);
    assert.equal(outcome.error instanceof ConnectFailed, false, "not a connect failure: the request reached the backend");
    assert.match(outcome.error!.message, /overloaded/);
    assert.equal(s.owner.connectFailures.length, 0);
  });

  it("a request the backend ended (END_REQUEST before any head) is not aborted: no ABORT_REQUEST goes out", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(endRequest(1, 0, ProtocolStatus.OVERLOADED));
    await assertErrorResponse(s, 503, ServiceUnavailable);
    // On a multiplexed connection an ABORT_REQUEST for an ended id would pin that id as aborted for good.
    await until(() => r.pool.stats().busy === 0, 300, "the lease to be released");
    assert.equal(recordTypes(b).includes(RecordType.ABORT_REQUEST), false);
  });

  it("the backend closes mid-head → 502", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout("Content-Type: text/pl"));
    b.end();
    const outcome = await assertErrorResponse(s, 502, BadGateway);
    assert.match(outcome.error!.message, /before the response head/);
    assert.equal(r.mc.backends.length, 1, "no retry: the connection was fresh and the response had begun");
  });

  it("the backend resets before any byte on a fresh connection → 502 (no retry)", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.reset();
    await assertErrorResponse(s, 502, BadGateway);
    assert.equal(r.mc.backends.length, 1);
  });

  for (const kind of ["shared", "per-item"] as const) {
    it(`io timeout with a ${kind} ticker → 504`, async () => {
      const r = rig({ ticker: kind });
      const t0 = Date.now();
      const s = start(r, { ioTimeoutMs: 50 });
      const b = await backendWithRequest(r.mc);
      const outcome = await assertErrorResponse(s, 504, GatewayTimeout);
      const waited = Date.now() - t0;
      assert.ok(waited >= 45, `timed out after ${waited} ms, before the 50 ms io timeout`);
      assert.match(outcome.error!.message, /50 ms before the response head/);
      assert.equal(outcome.status, 504);
      // The backend hears that the request is abandoned and the connection is not kept.
      assert.ok(recordTypes(b).includes(RecordType.ABORT_REQUEST), "FCGI_ABORT_REQUEST sent");
      await until(() => b.closed, 300, "the connection to close");
      assert.equal(r.ticker.live().length, 0);
    });
  }

  it("backend activity keeps the io timeout from firing", async () => {
    const r = rig();
    const s = start(r, { ioTimeoutMs: 80 });
    const b = await backendWithRequest(r.mc);
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) {
      await pause(20);
      b.send(stderr(`tick ${i}\n`));
    }
    assert.ok(Date.now() - t0 > 80, "the backend talked for longer than the io timeout");
    assert.equal(s.state.settled, false, "still waiting: the backend kept talking");
    b.send(concat([stdout(`${OK_HEAD}late`), finish()]));
    assert.equal((await settledResponse(s)).status, 200);
    assert.equal(onlyOutcome(s.owner).error, undefined);
  });

  it("connect refused, the owner keeps it: 503 with ConnectFailed", async () => {
    const r = rig();
    r.mc.refuseNext();
    const s = start(r);
    const outcome = await assertErrorResponse(s, 503, ConnectFailed);
    assert.equal(s.owner.connectFailures.length, 1, "owner.connectFailed consulted");
    assert.equal(s.owner.connectFailures[0], outcome.error);
    assert.match(outcome.error!.message, /ECONNREFUSED/);
    assert.equal(outcome.status, 503);
    assert.equal(outcome.handedBack, undefined);
    assert.equal(outcome.backendWritten, 0);
    assert.equal(r.mc.backends.length, 0);
  });

  it("connect refused, the owner takes it: run() resolves undefined and the outcome is handedBack", async () => {
    const r = rig();
    r.mc.refuseNext();
    const owner = recordingOwner({ handBack: true });
    const s = start(r, { owner });
    const res = await within(s.response, 300, "run()");
    assert.equal(res, undefined);
    assert.equal(owner.connectFailures.length, 1);
    const outcome = onlyOutcome(owner);
    assert.equal(outcome.handedBack, true);
    assert.ok(outcome.error instanceof ConnectFailed);
    assert.equal(outcome.clientAborted, false);
  });

  it("a connect that times out → 503 ConnectFailed naming the connect timeout", async () => {
    const r = rig();
    r.mc.hangNext();
    const s = start(r, { connectTimeoutMs: 30 });
    const outcome = await assertErrorResponse(s, 503, ConnectFailed);
    assert.match(outcome.error!.message, /ETIMEDOUT/);
    assert.match(outcome.error!.message, /30 ms/);
  });

  it("a streamed body over its max → 413, the backend connection closed", async () => {
    const r = rig();
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(pattern(600));
        c.enqueue(pattern(600));
        c.close();
      },
    });
    const s = start(r, { method: "POST", body: { kind: "stream", length: undefined, source, max: 1000 }, retryable: false });
    const b = await backendWithRequest(r.mc);
    await assertErrorResponse(s, 413, PayloadTooLarge);
    await until(() => b.closed, 300, "the connection to close");
  });
});

describe("Exchange: failures after the head", () => {
  it("the backend resets mid-body: the body stream errors with the error done() carries", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout(`${OK_HEAD}part one`));
    const res = await settledResponse(s);
    assert.equal(res.status, 200);
    const reader = asStream(res.body).getReader();
    assert.equal(dec.decode((await within(reader.read())).value), "part one");
    b.reset();
    const caught = await failedRead(reader);
    assert.ok(caught instanceof BadGateway, `the body failed with ${caught}`);
    assert.match(caught.message, /mid-body/);
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.error, caught);
    assert.equal(outcome.status, 200, "the status already sent");
    assert.equal(outcome.bytesOut, 8);
    await until(() => r.pool.stats().open === 0, 300, "the pool to forget the connection");
  });

  it("quietBodyErrors: the body stream errors with undefined", async () => {
    const r = rig();
    const s = start(r, { quietBodyErrors: true });
    const b = await backendWithRequest(r.mc);
    b.send(stdout(OK_HEAD));
    const res = await settledResponse(s);
    const reader = asStream(res.body).getReader();
    b.send(stdout("x"));
    assert.equal(dec.decode((await within(reader.read())).value), "x");
    b.end();
    const caught = await failedRead(reader);
    assert.equal(caught, undefined, "errored with undefined");
    const outcome = onlyOutcome(s.owner);
    assert.ok(outcome.error instanceof BadGateway, "done() still has the error");
  });

  it("io timeout mid-body: the stream errors with GatewayTimeout", async () => {
    const r = rig();
    const s = start(r, { ioTimeoutMs: 50 });
    const b = await backendWithRequest(r.mc);
    b.send(stdout(`${OK_HEAD}x`));
    const res = await settledResponse(s);
    const reader = asStream(res.body).getReader();
    await within(reader.read());
    const caught = await failedRead(reader);
    assert.ok(caught instanceof GatewayTimeout, `the body failed with ${caught}`);
    assert.match(caught.message, /mid-body/);
    assert.equal(onlyOutcome(s.owner).error, caught);
    await until(() => b.closed, 300, "the connection to close");
  });
});

describe("Exchange: stale-connection retry", () => {
  for (const how of ["FIN", "reset"] as const) {
    it(`a reused connection that closes (${how}) before any byte: resent once on a fresh connection`, async () => {
      const r = rig();
      const b0 = await serveOneAndIdle(r);
      const s = start(r, { retryable: true });
      await backendWithRequest(r.mc, 0, 2); // on the pooled connection
      assert.equal(r.mc.backends.length, 1);
      assert.equal(r.pool.stats().reuses, 1);
      if (how === "FIN") b0.end();
      else b0.reset();
      const b1 = await backendWithRequest(r.mc, 1, 1);
      assert.equal(r.mc.backends.length, 2, "a second connection appeared");
      assert.deepEqual(recordTypes(b1), [RecordType.BEGIN_REQUEST, RecordType.PARAMS, RecordType.PARAMS, RecordType.STDIN]);
      b1.send(concat([stdout(`${OK_HEAD}second`), finish()]));
      const res = await settledResponse(s);
      assert.equal(res.status, 200);
      assert.equal(dec.decode(asBytes(res.body)), "second");
      const outcome = onlyOutcome(s.owner);
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.backendWritten, 2 * s.head.length, "the head went out twice");
      assert.equal(r.pool.stats().retries, 1);
      await until(() => r.pool.stats().idle === 1 && r.pool.stats().open === 1, 300, "the new connection to go idle");
      assert.equal(b0.closed, true);
    });
  }

  it("retryable false: the request goes on a connection of its own and a close before the head ends it 502", async () => {
    const r = rig();
    const b0 = await serveOneAndIdle(r);
    const s = start(r, { retryable: false });
    const b1 = await backendWithRequest(r.mc, 1, 1);
    assert.equal(b0.records().filter((rec) => rec.type === RecordType.BEGIN_REQUEST).length, 1, "nothing sent on the pooled connection");
    assert.equal(b0.closed, true, "the idle connection gave way to the fresh one");
    b1.end();
    const outcome = await assertErrorResponse(s, 502, BadGateway);
    assert.equal(outcome.status, 502);
    await pause();
    assert.equal(r.mc.backends.length, 2, "no third connection: no retry");
    assert.equal(r.pool.stats().retries, 0);
    assert.equal(r.pool.stats().unsafeFresh, 1);
  });

  it("the retry happens once: a second close before the head ends it 502", async () => {
    const r = rig();
    const b0 = await serveOneAndIdle(r);
    const s = start(r, { retryable: true });
    await backendWithRequest(r.mc, 0, 2);
    b0.end();
    const b1 = await backendWithRequest(r.mc, 1, 1);
    b1.end();
    await assertErrorResponse(s, 502, BadGateway);
    await pause();
    assert.equal(r.mc.backends.length, 2, "no third connection");
    assert.equal(r.pool.stats().retries, 1);
  });

  it("no retry once a response byte arrived (STDERR counts)", async () => {
    const r = rig();
    const b0 = await serveOneAndIdle(r);
    const s = start(r, { retryable: true });
    await backendWithRequest(r.mc, 0, 2);
    b0.send(stderr("warming up\n"));
    b0.end();
    await assertErrorResponse(s, 502, BadGateway);
    await pause();
    assert.equal(r.mc.backends.length, 1);
    assert.deepEqual(s.owner.lines, ["warming up"]);
  });
});

describe("Exchange: the client goes away", () => {
  for (const kind of ["shared", "per-item"] as const) {
    it(`the clientGone hook aborting before the head (${kind} ticker) → 499, ABORT_REQUEST, connection closed`, async () => {
      const r = rig({ ticker: kind });
      const ac = new AbortController();
      const owner = recordingOwner({ hook: ac.signal });
      const s = start(r, { owner });
      const b = await backendWithRequest(r.mc);
      await until(() => owner.clientGoneCalls > 0, 300, "the client-gone watch to start on a tick");
      assert.equal(s.state.settled, false);
      ac.abort();
      const outcome = await assertErrorResponse(s, 499, ClientGone);
      assert.equal(outcome.clientAborted, true);
      assert.equal(outcome.status, 0, "nothing was sent to the client");
      const abort = b.records().filter((rec) => rec.type === RecordType.ABORT_REQUEST);
      assert.equal(abort.length, 1);
      assert.equal(abort[0]!.requestId, 1);
      await until(() => b.closed, 300, "the connection to close");
      await until(() => r.pool.stats().open === 0, 300, "the pool to forget the connection");
      assert.equal(owner.clientGoneCalls, 1, "the hook is fetched once");
    });
  }

  it("a hook already aborted when the watch starts ends the exchange on the first tick", async () => {
    const r = rig();
    const ac = new AbortController();
    ac.abort();
    const owner = recordingOwner({ hook: ac.signal });
    const s = start(r, { owner });
    const b = await backendWithRequest(r.mc);
    const outcome = await assertErrorResponse(s, 499, ClientGone);
    assert.equal(outcome.clientAborted, true);
    assert.ok(recordTypes(b).includes(RecordType.ABORT_REQUEST));
    await until(() => b.closed, 300, "the connection to close");
  });

  it("the client leaving while connecting: the hanging connect's later failure changes nothing", async () => {
    const r = rig();
    r.mc.hangNext(); // rejects with ETIMEDOUT after connectTimeoutMs
    const ac = new AbortController();
    const owner = recordingOwner({ hook: ac.signal });
    const s = start(r, { owner, connectTimeoutMs: 60 });
    await until(() => owner.clientGoneCalls > 0, 300, "the client-gone watch");
    ac.abort();
    const outcome = await assertErrorResponse(s, 499, ClientGone);
    assert.equal(outcome.clientAborted, true);
    await until(() => r.pool.stats().connectFailures === 1, 300, "the connect to time out");
    await pause();
    assert.equal(owner.connectFailures.length, 0, "a connect failing after the end is not reported");
    assert.equal(owner.dones.length, 1);
  });

  it("the client leaving while queued for a connection: the connection it gets later is not used", async () => {
    const r = rig({ pool: { max: 1, acquireMs: 1000 } });
    const busy = await within(r.pool.acquire(100)); // the pool's one connection, taken
    const b = r.mc.backends[0]!;
    const ac = new AbortController();
    const owner = recordingOwner({ hook: ac.signal });
    const s = start(r, { owner });
    await until(() => owner.clientGoneCalls > 0, 300, "the client-gone watch");
    assert.equal(r.pool.stats().waiting, 1, "the exchange waits for the busy connection");
    ac.abort();
    await assertErrorResponse(s, 499, ClientGone);
    // The busy request ends; its connection goes to the waiter, whose client has left.
    busy.conn.bind(busy.requestId, { stdout() {}, stderr() {}, end() {}, failed() {}, responding: false });
    b.send(endRequest(busy.requestId, 0, 0));
    r.pool.release(busy, true);
    await until(() => r.pool.stats().waiting === 0, 300, "the waiter to be served");
    await until(() => r.pool.stats().busy === 0, 300, "the connection to be given back");
    assert.equal(b.records().filter((rec) => rec.type === RecordType.BEGIN_REQUEST).length, 0, "nothing was sent on it");
    assert.equal(owner.dones.length, 1);
    // Nothing was sent on it, so the healthy connection goes back idle rather than being closed.
    await until(() => r.pool.stats().idle === 1, 300, "the unused connection to go idle");
    assert.equal(b.closed, false);
  });

  it("cancelling the response body mid-body → clientAborted, ABORT_REQUEST, connection closed", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout(`${OK_HEAD}abc`));
    const res = await settledResponse(s);
    const reader = asStream(res.body).getReader();
    assert.equal(dec.decode((await within(reader.read())).value), "abc");
    await within(reader.cancel());
    await until(() => s.owner.dones.length === 1, 300, "done()");
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.clientAborted, true);
    assert.ok(outcome.error instanceof ClientGone);
    assert.equal(outcome.bytesOut, 3);
    assert.ok(recordTypes(b).includes(RecordType.ABORT_REQUEST), "FCGI_ABORT_REQUEST sent");
    await until(() => b.closed, 300, "the connection to close");
    await until(() => r.pool.stats().open === 0, 300, "the pool to forget the connection");
  });
});

describe("Exchange: response backpressure", () => {
  it("a reader that does not read pauses the backend after 64 KiB; reading resumes it", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout(OK_HEAD));
    const res = await settledResponse(s);
    const body = asStream(res.body);
    const chunk = 16 * 1024;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(pattern(chunk, i));
      b.send(stdout(sent[i]!));
    }
    await pause();
    assert.equal(b.conn.paused, false, "48 KiB queued: still reading");
    for (let i = 3; i < 6; i++) {
      sent.push(pattern(chunk, i));
      b.send(stdout(sent[i]!));
    }
    assert.equal(b.conn.paused, true, "over 64 KiB queued: the backend connection is paused");
    b.send(finish()); // held by the paused connection
    await pause(40);
    assert.equal(s.owner.dones.length, 0, "END_REQUEST is not read while paused");
    assert.equal(b.conn.paused, true, "the io timeout does not count a slow client");

    const got = await readAll(body);
    assert.deepEqual(got, concat(sent));
    assert.equal(b.conn.paused, false, "reading resumed the connection");
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.bytesOut, 6 * chunk);
    assert.equal(outcome.error, undefined);
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
  });

  it("a body that ends in the read that paused it leaves the pooled connection flowing for the next request", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout(OK_HEAD));
    const res = await settledResponse(s);
    const data = pattern(80_000, 9);
    b.send(concat([stdout(data), finish()])); // over 64 KiB and END_REQUEST in one socket read
    assert.equal(onlyOutcome(s.owner).error, undefined, "done at END_REQUEST");
    assert.equal(b.conn.paused, false, "the connection is resumed before it goes back to the pool");
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
    assert.deepEqual(await readAll(asStream(res.body)), data, "the client still gets every byte");

    const next = start(r);
    await backendWithRequest(r.mc, 0, 2);
    b.send(concat([stdout(`${OK_HEAD}next`), finish()]));
    assert.equal(dec.decode(asBytes((await settledResponse(next)).body)), "next");
  });

  it("a paused body does not trip the io timeout", async () => {
    const r = rig();
    const s = start(r, { ioTimeoutMs: 40 });
    const b = await backendWithRequest(r.mc);
    b.send(stdout(OK_HEAD));
    const res = await settledResponse(s);
    b.send(stdout(pattern(70_000)));
    assert.equal(b.conn.paused, true);
    await pause(120);
    assert.equal(s.owner.dones.length, 0, "no timeout while the client is the slow side");
    const reader = asStream(res.body).getReader();
    await within(reader.read());
    b.send(finish());
    for (;;) if ((await within(reader.read())).done) break;
    assert.equal(onlyOutcome(s.owner).error, undefined);
  });
});

describe("Exchange: STDERR", () => {
  it("reaches owner.stderrLine line by line, the last partial line at the end", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stderr("first line\nsec"));
    b.send(stderr("ond line\r\n\nthird"));
    await until(() => s.owner.lines.length === 2, 300, "two lines");
    assert.deepEqual(s.owner.lines, ["first line", "second line"]);
    b.send(concat([stdout(`${OK_HEAD}body`), stderr(" part"), finish()]));
    const res = await settledResponse(s);
    assert.equal(dec.decode(asBytes(res.body)), "body", "STDERR is never mixed into the body");
    assert.deepEqual(s.owner.lines, ["first line", "second line", "third part"]);
  });

  it("is capped at maxStderr bytes", async () => {
    const r = rig();
    const s = start(r, { maxStderr: 10 });
    const b = await backendWithRequest(r.mc);
    b.send(stderr("0123456789abcdef\nmore\n"));
    b.send(concat([stdout(`${OK_HEAD}ok`), finish()]));
    await settledResponse(s);
    assert.deepEqual(s.owner.lines, ["0123456789", "(stderr truncated after 10 bytes)"]);
  });
});

describe("Exchange: cut (the gateway's shutdown)", () => {
  it("before the head: resolves with the error's status, done() has that error", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    assert.deepEqual(r.ticker.live(), [s.exchange], "the gateway finds running exchanges in the ticker");
    const cut = new CutAtShutdown("shutdown timeout ran out");
    s.exchange.cut(cut);
    const outcome = await assertErrorResponse(s, 503, CutAtShutdown);
    assert.equal(outcome.error, cut);
    assert.equal(outcome.status, 503);
    assert.ok(recordTypes(b).includes(RecordType.ABORT_REQUEST));
    await until(() => b.closed, 300, "the connection to close");
    assert.deepEqual(r.ticker.live(), []);
  });

  it("with another status: a cut with GatewayTimeout → 504", async () => {
    const r = rig();
    const s = start(r);
    await backendWithRequest(r.mc);
    s.exchange.cut(new GatewayTimeout("cut"));
    await assertErrorResponse(s, 504, GatewayTimeout);
  });

  it("mid-body: the body stream errors with the cut's error", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(stdout(`${OK_HEAD}x`));
    const res = await settledResponse(s);
    const reader = asStream(res.body).getReader();
    await within(reader.read());
    const cut = new CutAtShutdown("shutdown");
    s.exchange.cut(cut);
    await assert.rejects(within(reader.read()), (e: unknown) => e === cut);
    const outcome = onlyOutcome(s.owner);
    assert.equal(outcome.error, cut);
    assert.equal(outcome.status, 200);
    s.exchange.cut(new CutAtShutdown("again"));
    assert.equal(s.owner.dones.length, 1, "a second cut changes nothing");
    await until(() => b.closed, 300, "the connection to close");
  });

  it("after the end: nothing happens", async () => {
    const r = rig();
    const s = start(r);
    const b = await backendWithRequest(r.mc);
    b.send(concat([stdout(`${OK_HEAD}ok`), finish()]));
    await settledResponse(s);
    s.exchange.cut(new CutAtShutdown("late"));
    assert.equal(onlyOutcome(s.owner).error, undefined);
    await until(() => r.pool.stats().idle === 1, 300, "the connection to go idle");
  });
});

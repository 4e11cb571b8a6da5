// BackendConnection against an in-memory connection: which request hears which record, what fails it, and
// when the connection may carry another request.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BackendConnection, type ChannelHandlers } from "../../src/pool/backend-connection.ts";
import { endRequest, getValuesResult, streamEnd, streamRecords } from "../../src/protocol/encode.ts";
import { ProtocolStatus, RecordType } from "../../src/protocol/constants.ts";
import { ConnectionClosed, ProtocolError, TransportError } from "../../src/errors.ts";
import { memoryPair, until, within, type MemoryBackend, type MemoryConnOptions } from "../helpers/memory-conn.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const stdout = (id: number, s: string) => streamRecords(RecordType.STDOUT, id, enc(s));
const stderr = (id: number, s: string) => streamRecords(RecordType.STDERR, id, enc(s));
const microtasks = async (n = 5) => { for (let i = 0; i < n; i++) await Promise.resolve(); };

/** Handlers that record what one request heard. */
function channel(responding = false) {
  const heard = { stdout: "", stderr: "", ends: [] as Array<[number, number]>, failures: [] as Error[] };
  const handlers: ChannelHandlers = {
    stdout: (d) => { heard.stdout += dec(d); },
    stderr: (d) => { heard.stderr += dec(d); },
    end: (app, proto) => { heard.ends.push([app, proto]); },
    failed: (e) => { heard.failures.push(e); },
    responding,
  };
  return { handlers, heard };
}

let opened: BackendConnection[] = [];
afterEach(() => {
  for (const c of opened) c.close();
  opened = [];
});

function connection(options?: MemoryConnOptions): { bc: BackendConnection; backend: MemoryBackend } {
  const { conn, backend } = memoryPair(options);
  const bc = new BackendConnection(conn);
  opened.push(bc);
  return { bc, backend };
}

describe("BackendConnection: routing records", () => {
  it("delivers STDOUT, STDERR and END_REQUEST to the bound request id", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    assert.equal(id, 1);
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    backend.send(stdout(id, "Status: 200\r\n\r\nhello"));
    backend.send(stderr(id, "a warning"));
    backend.send(streamEnd(RecordType.STDOUT, id));
    backend.send(endRequest(id, 7, ProtocolStatus.REQUEST_COMPLETE));
    await microtasks(); // held data is flushed in a microtask after setHandlers
    assert.equal(heard.stdout, "Status: 200\r\n\r\nhello");
    assert.equal(heard.stderr, "a warning");
    assert.deepEqual(heard.ends, [[7, 0]]);
    assert.deepEqual(heard.failures, []);
    assert.equal(bc.active, 0);
    assert.equal(bc.served, 1);
    assert.ok(bc.reusable, "a connection whose request ended cleanly may carry another");
  });

  it("keeps two multiplexed requests apart", async () => {
    const { bc, backend } = connection();
    const a = bc.reserveRequestId();
    const b = bc.reserveRequestId();
    assert.deepEqual([a, b], [1, 2]);
    const ca = channel();
    const cb = channel();
    bc.bind(a, ca.handlers);
    bc.bind(b, cb.handlers);
    await microtasks();
    backend.send(stdout(b, "to b"));
    backend.send(stdout(a, "to a"));
    backend.send(endRequest(a, 0, 0));
    assert.equal(ca.heard.stdout, "to a");
    assert.equal(cb.heard.stdout, "to b");
    assert.equal(ca.heard.ends.length, 1);
    assert.equal(cb.heard.ends.length, 0);
    assert.equal(bc.active, 1, "b is still in flight");
    assert.equal(bc.reusable, false);
    backend.send(endRequest(b, 0, ProtocolStatus.OVERLOADED));
    assert.deepEqual(cb.heard.ends, [[0, ProtocolStatus.OVERLOADED]]);
    assert.ok(bc.reusable);
  });

  it("hands out the lowest free request id and counts reserved ids as active", () => {
    const { bc } = connection();
    assert.equal(bc.reserveRequestId(), 1);
    assert.equal(bc.reserveRequestId(), 2);
    assert.equal(bc.active, 2);
    assert.equal(bc.reusable, false);
    bc.unbind(1);
    assert.equal(bc.active, 1);
    assert.equal(bc.reserveRequestId(), 1, "a freed id is handed out again");
  });

  it("a record for an id never bound is a ProtocolError that fails the bound request and closes", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    let closes = 0;
    bc.onClose = () => closes++;
    backend.send(stdout(9, "for nobody"));
    assert.equal(heard.failures.length, 1);
    const err = heard.failures[0];
    assert.ok(err instanceof ProtocolError, `got ${err}`);
    assert.equal(err.reason, "unexpected-request-id");
    assert.equal(heard.stdout, "");
    assert.equal(bc.healthy, false);
    assert.equal(backend.closed, true, "the connection is closed");
    await until(() => closes === 1, 300, "onClose");
    assert.equal(bc.closed, true);
    assert.equal(heard.failures.length, 1, "failed() is called once");
  });

  it("records for a reserved but not yet bound id are also unexpected", async () => {
    const { bc, backend } = connection();
    bc.reserveRequestId();
    await microtasks();
    backend.send(stdout(1, "too early"));
    assert.equal(bc.healthy, false, "a reserved id is not expected before bind");
    assert.equal(backend.closed, true);
  });

  it("drops a stray empty stream record for an id that already ended", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    backend.send(endRequest(id, 0, 0));
    backend.send(streamEnd(RecordType.STDOUT, id)); // node-fastcgi closes its stream after END_REQUEST
    assert.ok(bc.healthy, "the stray record does not fail the connection");
    assert.ok(bc.reusable);
    assert.deepEqual(heard.failures, []);
    assert.equal(heard.ends.length, 1);
  });

  it("management records (request id 0) are ignored", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    backend.send(getValuesResult([["FCGI_MPXS_CONNS", "1"]]));
    assert.ok(bc.healthy);
    assert.deepEqual(heard, { stdout: "", stderr: "", ends: [], failures: [] });
    backend.send(endRequest(id, 0, 0));
    assert.ok(bc.reusable);
  });
});

describe("BackendConnection: failures", () => {
  it("a reset while bound fails the request with the TransportError and runs onClose once", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    let closes = 0;
    bc.onClose = () => closes++;
    backend.reset("ECONNRESET");
    assert.equal(heard.failures.length, 1);
    const err = heard.failures[0];
    assert.ok(err instanceof TransportError, `got ${err}`);
    assert.equal(err.code, "ECONNRESET");
    assert.equal(closes, 1);
    assert.equal(bc.closed, true);
    assert.equal(bc.healthy, false);
    assert.equal(bc.active, 0);
    bc.close(); // idempotent, no second onClose
    await microtasks();
    assert.equal(closes, 1);
  });

  it("the backend's FIN while bound fails the request with ConnectionClosed", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    backend.send(stdout(id, "partial"));
    backend.end();
    assert.equal(heard.stdout, "partial");
    assert.equal(heard.failures.length, 1);
    assert.ok(heard.failures[0] instanceof ConnectionClosed, `got ${heard.failures[0]}`);
    assert.equal(bc.reusable, false);
    await until(() => bc.closed, 300, "the connection to close");
    assert.equal(heard.failures.length, 1, "the close that follows does not fail it again");
  });

  it("a local close while bound tells the request (asynchronously)", async () => {
    const { bc } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    bc.close();
    assert.equal(bc.healthy, false);
    await until(() => heard.failures.length === 1, 300, "failed()");
    assert.ok(heard.failures[0] instanceof ConnectionClosed);
    assert.equal(bc.closed, true);
  });

  it("garbage bytes are a ProtocolError (bad version) and close the connection", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    backend.send(enc("HTTP/1.1 200 OK\r\n\r\n")); // an HTTP server, not a FastCGI one
    assert.equal(heard.failures.length, 1);
    const err = heard.failures[0];
    assert.ok(err instanceof ProtocolError, `got ${err}`);
    assert.equal(err.reason, "version");
    assert.equal(backend.closed, true);
    assert.equal(bc.healthy, false);
  });

  it("an END_REQUEST with a wrong body length is a ProtocolError", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    // END_REQUEST (type 3) for id 1 with a 4-byte body.
    backend.send(Uint8Array.of(1, RecordType.END_REQUEST, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0));
    assert.equal(heard.failures.length, 1);
    assert.equal((heard.failures[0] as ProtocolError).reason, "bad-record-length");
    assert.deepEqual(heard.ends, []);
  });
});

describe("BackendConnection: reuse", () => {
  it("an idle connection whose backend half-closed is broken, not reusable, and closes", async () => {
    const { bc, backend } = connection();
    await microtasks();
    assert.ok(bc.reusable);
    let closes = 0;
    bc.onClose = () => closes++;
    backend.end();
    assert.equal(bc.healthy, false);
    assert.equal(bc.reusable, false);
    await until(() => closes === 1, 300, "onClose");
    assert.equal(bc.closed, true);
  });

  it("is not reusable while a partial record is buffered", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    const end = endRequest(id, 0, 0);
    backend.send(end.subarray(0, 5));
    bc.unbind(id); // the request gave up; the rest of its record is still on the wire
    assert.equal(bc.active, 0);
    assert.equal(bc.healthy, true);
    assert.equal(bc.reusable, false, "a connection mid-record must not carry another request");
    assert.deepEqual(heard.ends, []);
  });

  it("a request aborted on a kept connection has its records dropped until its END_REQUEST", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    backend.send(stdout(id, "before"));
    const freed: number[] = [];
    bc.onIdFreed = (i) => freed.push(i);
    bc.abort(id);
    const abortRecord = backend.records().find((r) => r.type === RecordType.ABORT_REQUEST);
    assert.ok(abortRecord, "FCGI_ABORT_REQUEST was written");
    assert.equal(abortRecord.requestId, id);
    assert.equal(bc.active, 1, "the aborted id still drains");
    assert.equal(bc.reusable, false);
    assert.equal(bc.reserveRequestId(), 2, "the aborted id is not handed out while it drains");
    bc.unbind(2);
    backend.send(stdout(id, "after"));
    backend.send(stderr(id, "after"));
    assert.ok(bc.healthy, "records for an aborted id are not a protocol error");
    backend.send(endRequest(id, 0, 0));
    assert.equal(heard.stdout, "before", "nothing after the abort reaches the request");
    assert.equal(heard.stderr, "");
    assert.deepEqual(heard.ends, [], "its END_REQUEST is swallowed too");
    assert.deepEqual(heard.failures, []);
    assert.deepEqual(freed, [id]);
    assert.equal(bc.active, 0);
    assert.ok(bc.reusable);
  });

  it("abort on a broken connection writes nothing", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    bc.bind(id, channel().handlers);
    bc.close();
    bc.abort(id);
    assert.equal(backend.received().length, 0);
    assert.equal(bc.active, 0);
  });
});

describe("BackendConnection: flow control passes through", () => {
  it("pause withholds records until resume", async () => {
    const { bc, backend } = connection();
    const id = bc.reserveRequestId();
    const { handlers, heard } = channel();
    bc.bind(id, handlers);
    await microtasks();
    bc.pause();
    backend.send(stdout(id, "held"));
    await microtasks();
    assert.equal(heard.stdout, "", "nothing delivered while paused");
    bc.resume();
    await microtasks();
    assert.equal(heard.stdout, "held");
  });

  it("write reports a full buffer and drained() waits for the backend to read", async () => {
    const { bc, backend } = connection({ writeBufferBytes: 8 });
    assert.equal(bc.write(new Uint8Array(8)), true);
    assert.equal(bc.write(new Uint8Array(1)), false);
    let drained = false;
    const p = bc.drained().then(() => { drained = true; });
    await microtasks();
    assert.equal(drained, false);
    backend.take();
    await within(p);
    assert.equal(drained, true);
    assert.equal(backend.received().length, 9);
  });

  it("drained() rejects once the connection is closed", async () => {
    const { bc } = connection({ writeBufferBytes: 0 });
    bc.write(new Uint8Array(1));
    const p = bc.drained();
    bc.close();
    await assert.rejects(within(p), (e: unknown) => e instanceof TransportError);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  abortRequest,
  beginRequest,
  decodePairs,
  encodeStdinChunk,
  encodeStdinEnd,
  endRequest,
  FCGI_KEEP_CONN,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  getValues,
  getValuesResult,
  MAX_RECORD_CONTENT,
  parseGetValues,
  ProtocolStatus,
  RecordType,
  Role,
  streamEnd,
  streamRecords,
  streamRecordsSize,
  unknownType,
  writeBeginRequest,
  writeEndRequest,
  writeStreamRecords,
} from "../../src/protocol/index.ts";
import { concat, decodePieces, walkRecords } from "./recorder.ts";

function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe("fixed-size records: literal bytes", () => {
  it("BEGIN_REQUEST", () => {
    assert.deepEqual(
      beginRequest(1, Role.RESPONDER, FCGI_KEEP_CONN),
      Uint8Array.from([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
    );
    assert.deepEqual(
      beginRequest(0x0102, Role.FILTER),
      Uint8Array.from([1, 1, 1, 2, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]),
    );
  });
  it("ABORT_REQUEST", () => {
    assert.deepEqual(abortRequest(65535), Uint8Array.from([1, 2, 255, 255, 0, 0, 0, 0]));
  });
  it("END_REQUEST", () => {
    assert.deepEqual(
      endRequest(7, 0x01020304, ProtocolStatus.OVERLOADED),
      Uint8Array.from([1, 3, 0, 7, 0, 8, 0, 0, 1, 2, 3, 4, 2, 0, 0, 0]),
    );
    assert.deepEqual(endRequest(1, -1, 0).subarray(8, 12), Uint8Array.from([255, 255, 255, 255]));
  });
  it("UNKNOWN_TYPE", () => {
    assert.deepEqual(unknownType(99), Uint8Array.from([1, 11, 0, 0, 0, 8, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0]));
  });
  it("end of stream", () => {
    assert.deepEqual(streamEnd(RecordType.STDOUT, 2), Uint8Array.from([1, 6, 0, 2, 0, 0, 0, 0]));
    assert.deepEqual(encodeStdinEnd(3), Uint8Array.from([1, 5, 0, 3, 0, 0, 0, 0]));
  });
  it("rejects out-of-range ids and fields", () => {
    assert.throws(() => beginRequest(0), RangeError, "id 0 is for management records");
    assert.throws(() => beginRequest(65536), RangeError);
    assert.throws(() => beginRequest(1, 65536), RangeError);
    assert.throws(() => beginRequest(1, 1, 256), RangeError);
    assert.throws(() => endRequest(1, 0, 256), RangeError);
    assert.throws(() => streamRecords(RecordType.STDIN, 0, new Uint8Array(1)), RangeError);
  });
});

describe("round trips through the decoder", () => {
  it("every record type comes back with the same fields", () => {
    const bytes = concat([
      beginRequest(1, Role.AUTHORIZER, FCGI_KEEP_CONN),
      streamRecords(RecordType.PARAMS, 1, Uint8Array.from([1, 1, 0x41, 0x42]), true),
      streamRecords(RecordType.STDIN, 1, pattern(10), true),
      streamRecords(RecordType.DATA, 1, pattern(3), true),
      abortRequest(1),
      streamRecords(RecordType.STDOUT, 1, pattern(20)),
      streamRecords(RecordType.STDERR, 1, pattern(5), true),
      streamEnd(RecordType.STDOUT, 1),
      endRequest(1, 0xfffffffe, ProtocolStatus.UNKNOWN_ROLE),
      getValues([FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS]),
      getValuesResult(new Map([[FCGI_MAX_CONNS, "1"], [FCGI_MPXS_CONNS, "0"]])),
      unknownType(42),
    ]);
    const { events, idle } = decodePieces([bytes]);
    assert.equal(idle, true);
    const mgmt = events.filter((e) => e.kind === "management");
    assert.deepEqual(
      events.filter((e) => e.kind !== "management"),
      [
        { kind: "begin", requestId: 1, role: Role.AUTHORIZER, flags: FCGI_KEEP_CONN },
        { kind: "stream", type: RecordType.PARAMS, requestId: 1, data: Uint8Array.from([1, 1, 0x41, 0x42]) },
        { kind: "streamEnd", type: RecordType.PARAMS, requestId: 1 },
        { kind: "stream", type: RecordType.STDIN, requestId: 1, data: pattern(10) },
        { kind: "streamEnd", type: RecordType.STDIN, requestId: 1 },
        { kind: "stream", type: RecordType.DATA, requestId: 1, data: pattern(3) },
        { kind: "streamEnd", type: RecordType.DATA, requestId: 1 },
        { kind: "abort", requestId: 1 },
        { kind: "stream", type: RecordType.STDOUT, requestId: 1, data: pattern(20) },
        { kind: "stream", type: RecordType.STDERR, requestId: 1, data: pattern(5) },
        { kind: "streamEnd", type: RecordType.STDERR, requestId: 1 },
        { kind: "streamEnd", type: RecordType.STDOUT, requestId: 1 },
        { kind: "end", requestId: 1, appStatus: 0xfffffffe, protocolStatus: ProtocolStatus.UNKNOWN_ROLE },
      ],
    );
    assert.equal(mgmt.length, 3);
    const [gv, gvr, ut] = mgmt;
    assert.ok(gv?.kind === "management" && gvr?.kind === "management" && ut?.kind === "management");
    assert.equal(gv.type, RecordType.GET_VALUES);
    assert.deepEqual(parseGetValues(gv.content), new Map([[FCGI_MAX_CONNS, ""], [FCGI_MAX_REQS, ""], [FCGI_MPXS_CONNS, ""]]));
    assert.equal(gvr.type, RecordType.GET_VALUES_RESULT);
    assert.deepEqual(parseGetValues(gvr.content), new Map([[FCGI_MAX_CONNS, "1"], [FCGI_MPXS_CONNS, "0"]]));
    assert.equal(ut.type, RecordType.UNKNOWN_TYPE);
    assert.deepEqual(ut.content, Uint8Array.from([42, 0, 0, 0, 0, 0, 0, 0]));
  });

  it("management records are padded to 8 and refuse content over one record", () => {
    const rec = getValues(["A"]);
    assert.deepEqual(rec, Uint8Array.from([1, 9, 0, 0, 0, 3, 5, 0, 1, 0, 0x41, 0, 0, 0, 0, 0]));
    const names = Array.from({ length: 700 }, (_, i) => `NAME_${i}_${"x".repeat(90)}`);
    assert.throws(() => getValues(names), RangeError);
    // The failure leaves the shared scratch usable.
    assert.deepEqual(decodePairs(walkRecords(getValues(["B"]))[0]!.content), [["B", ""]]);
  });
});

/** Check the shape of stream records and return their concatenated content. */
function checkStreamRecords(bytes: Uint8Array, type: number, requestId: number): Uint8Array {
  const records = walkRecords(bytes);
  for (const r of records) {
    assert.equal(r.version, 1);
    assert.equal(r.type, type);
    assert.equal(r.requestId, requestId);
    assert.ok(r.content.length > 0 && r.content.length <= MAX_RECORD_CONTENT, `content ${r.content.length}`);
    assert.ok(r.content.length + r.padding.length <= 65535);
    assert.equal((r.content.length + r.padding.length) % 8, 0);
    assert.ok(r.padding.length < 8);
    assert.ok(r.padding.every((b) => b === 0), "padding is zeroed");
  }
  return concat(records.map((r) => r.content));
}

describe("stream records", () => {
  for (const n of [0, 1, 7, 8, 127, 128, 65527, 65528, 65529, 65528 * 2, 65528 * 3 + 5, 200_000]) {
    it(`splits ${n} bytes into padded records of at most ${MAX_RECORD_CONTENT}`, () => {
      const data = pattern(n, n);
      const bytes = streamRecords(RecordType.STDOUT, 9, data);
      assert.equal(bytes.length, streamRecordsSize(n));
      assert.deepEqual(checkStreamRecords(bytes, RecordType.STDOUT, 9), data);
      assert.equal(walkRecords(bytes).length, Math.ceil(n / MAX_RECORD_CONTENT));
      const { events } = decodePieces([bytes]);
      assert.deepEqual(events, n === 0 ? [] : [{ kind: "stream", type: RecordType.STDOUT, requestId: 9, data }]);
    });
  }

  it("encodeStdinChunk puts a body chunk, and optionally the end, in one buffer", () => {
    const data = pattern(70_000);
    const chunk = encodeStdinChunk(4, data);
    assert.deepEqual(checkStreamRecords(chunk, RecordType.STDIN, 4), data);
    const last = encodeStdinChunk(4, data.subarray(0, 10), true);
    assert.deepEqual(last.subarray(last.length - 8), encodeStdinEnd(4));
    assert.equal(encodeStdinChunk(4, new Uint8Array(0)).length, 0, "an empty chunk must not end the body");
    assert.deepEqual(encodeStdinChunk(4, new Uint8Array(0), true), encodeStdinEnd(4));
  });

  it("write forms fill a caller's buffer at an offset and zero stale padding", () => {
    const buf = new Uint8Array(64).fill(0xcc);
    let p = writeBeginRequest(buf, 3, 5, Role.RESPONDER, 0);
    assert.equal(p, 19);
    p = writeStreamRecords(buf, p, RecordType.STDIN, 5, Uint8Array.from([1, 2, 3]));
    assert.equal(p, 19 + 8 + 8);
    p = writeEndRequest(buf, p, 5, 0, 0);
    assert.equal(p, 51);
    assert.deepEqual(buf.subarray(0, 3), Uint8Array.from([0xcc, 0xcc, 0xcc]));
    assert.deepEqual(buf.subarray(51), new Uint8Array(13).fill(0xcc));
    const records = walkRecords(buf.subarray(3, 51));
    assert.deepEqual(records.map((r) => r.type), [1, 5, 3]);
    assert.deepEqual(records[1]!.padding, new Uint8Array(5));
    assert.throws(() => writeStreamRecords(buf, 60, RecordType.STDIN, 5, Uint8Array.from([1])), RangeError);
    assert.throws(() => writeEndRequest(buf, 50, 5, 0, 0), RangeError);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError, RecordDecoder, RecordType } from "../../src/protocol/index.ts";
import type { RecordHandlers } from "../../src/protocol/index.ts";
import { concat, decodePieces, rawRecord, recorder, splitAt } from "./recorder.ts";
import type { DecodedEvent } from "./recorder.ts";

const isProtocolError = (reason: string) => (e: unknown) => e instanceof ProtocolError && e.reason === reason;

function bytesOf(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

// Built by hand, with odd paddings (including padding on empty and discrete records) and an unknown
// record type in the middle, so the decoder is not only checked against our own encoder.
const STREAM = concat([
  rawRecord(RecordType.BEGIN_REQUEST, 1, [0, 1, 1, 0, 0, 0, 0, 0]),
  rawRecord(RecordType.PARAMS, 1, [1, 1, 0x41, 0x42], 4),
  rawRecord(RecordType.PARAMS, 1, [], 3),
  rawRecord(RecordType.STDOUT, 1, bytesOf(13, 1), 3),
  rawRecord(99, 1, bytesOf(21, 2), 11), // unknown type: skipped whole
  rawRecord(RecordType.GET_VALUES_RESULT, 0, [14, 1, ...new TextEncoder().encode("FCGI_MAX_CONNS"), 0x35], 7),
  rawRecord(RecordType.STDERR, 1, bytesOf(5, 3), 0),
  rawRecord(RecordType.STDOUT, 1, bytesOf(40, 4), 255),
  rawRecord(RecordType.STDOUT, 1, []),
  rawRecord(RecordType.ABORT_REQUEST, 1, [], 2),
  rawRecord(RecordType.END_REQUEST, 1, [0x80, 0, 0, 1, 0, 0, 0, 0], 8),
]);

const EXPECTED: DecodedEvent[] = [
  { kind: "begin", requestId: 1, role: 1, flags: 1 },
  { kind: "stream", type: RecordType.PARAMS, requestId: 1, data: Uint8Array.from([1, 1, 0x41, 0x42]) },
  { kind: "streamEnd", type: RecordType.PARAMS, requestId: 1 },
  { kind: "stream", type: RecordType.STDOUT, requestId: 1, data: bytesOf(13, 1) },
  {
    kind: "management",
    type: RecordType.GET_VALUES_RESULT,
    content: Uint8Array.from([14, 1, ...new TextEncoder().encode("FCGI_MAX_CONNS"), 0x35]),
  },
  { kind: "stream", type: RecordType.STDERR, requestId: 1, data: bytesOf(5, 3) },
  { kind: "stream", type: RecordType.STDOUT, requestId: 1, data: bytesOf(40, 4) },
  { kind: "streamEnd", type: RecordType.STDOUT, requestId: 1 },
  { kind: "abort", requestId: 1 },
  { kind: "end", requestId: 1, appStatus: 0x80000001, protocolStatus: 0 },
];

const onlyId1 = { isExpectedRequestId: (id: number) => id === 1 };

describe("RecordDecoder: split input", () => {
  it("decodes the whole stream in one push", () => {
    assert.deepEqual(decodePieces([STREAM], onlyId1), { events: EXPECTED, idle: true });
  });

  it("decodes the stream split at every possible point", () => {
    for (let at = 0; at <= STREAM.length; at++) {
      assert.deepEqual(decodePieces(splitAt(STREAM, [at]), onlyId1), { events: EXPECTED, idle: true }, `split ${at}`);
    }
  });

  it("decodes the stream split at every pair of points", () => {
    for (let a = 0; a <= STREAM.length; a += 1) {
      for (let b = a; b <= STREAM.length; b++) {
        const got = decodePieces(splitAt(STREAM, [a, b]), onlyId1);
        if (got.idle !== true || got.events.length !== EXPECTED.length) assert.fail(`splits ${a}, ${b}`);
        assert.deepEqual(got.events, EXPECTED, `splits ${a}, ${b}`);
      }
    }
  });

  it("decodes the stream fed one byte at a time", () => {
    const pieces = Array.from({ length: STREAM.length }, (_, i) => STREAM.subarray(i, i + 1));
    assert.deepEqual(decodePieces(pieces, onlyId1), { events: EXPECTED, idle: true });
  });

  it("is idle exactly at record boundaries", () => {
    const boundaries = new Set<number>([0]);
    let p = 0;
    while (p < STREAM.length) {
      p += 8 + ((STREAM[p + 4]! << 8) | STREAM[p + 5]!) + STREAM[p + 6]!;
      boundaries.add(p);
    }
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const decoder = new RecordDecoder(recorder().handlers);
      decoder.push(STREAM.subarray(0, cut));
      assert.equal(decoder.idle, boundaries.has(cut), `cut ${cut}`);
    }
  });

  it("skips an unknown record spanning many chunks, padding included", () => {
    const bytes = concat([
      rawRecord(77, 1, bytesOf(5000, 9), 200),
      rawRecord(RecordType.STDOUT, 1, [1, 2, 3], 5),
    ]);
    for (const size of [1, 7, 8, 9, 1000, 5207, 5208]) {
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
      assert.deepEqual(decodePieces(pieces).events, [
        { kind: "stream", type: RecordType.STDOUT, requestId: 1, data: Uint8Array.from([1, 2, 3]) },
      ]);
    }
  });
});

describe("RecordDecoder: behaviour", () => {
  it("hands stream content out as views into the pushed chunk", () => {
    const chunk = concat([rawRecord(RecordType.STDOUT, 1, bytesOf(100, 0), 4), rawRecord(RecordType.STDERR, 1, [9])]);
    const seen: Uint8Array[] = [];
    const handlers = { ...recorder().handlers, stream: (_t: number, _id: number, d: Uint8Array) => void seen.push(d) };
    new RecordDecoder(handlers).push(chunk);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.buffer, chunk.buffer);
    assert.equal(seen[0]!.byteOffset, 8);
    assert.equal(seen[0]!.length, 100);
    assert.equal(seen[1]!.buffer, chunk.buffer);
  });

  it("is already idle inside the END_REQUEST handler", () => {
    let idleInside: boolean | undefined;
    const r = recorder();
    const decoder: RecordDecoder = new RecordDecoder({
      ...r.handlers,
      endRequest() {
        idleInside = decoder.idle;
      },
    });
    decoder.push(rawRecord(RecordType.END_REQUEST, 1, [0, 0, 0, 0, 0, 0, 0, 0]));
    assert.equal(idleInside, true);
    // With padding, END_REQUEST is reported only once the padding has been read.
    idleInside = undefined;
    const padded = rawRecord(RecordType.END_REQUEST, 1, [0, 0, 0, 0, 0, 0, 0, 0], 3);
    decoder.push(padded.subarray(0, padded.length - 1));
    assert.equal(idleInside, undefined);
    decoder.push(padded.subarray(padded.length - 1));
    assert.equal(idleInside, true);
  });

  it("rejects a version other than 1, and then refuses further input", () => {
    const decoder = new RecordDecoder(recorder().handlers);
    const bad = rawRecord(RecordType.STDOUT, 1, [1], 0, 2);
    assert.throws(() => decoder.push(bad), isProtocolError("version"));
    assert.throws(() => decoder.push(rawRecord(RecordType.STDOUT, 1, [1])), isProtocolError("decoder-failed"));
    decoder.reset();
    decoder.push(rawRecord(RecordType.STDOUT, 1, [1]));
    // A version error found in a header that straddles pushes.
    const d2 = new RecordDecoder(recorder().handlers);
    d2.push(rawRecord(RecordType.STDOUT, 1, [1]));
    d2.push(bad.subarray(0, 3));
    assert.throws(() => d2.push(bad.subarray(3)), isProtocolError("version"));
    assert.throws(() => new RecordDecoder(recorder().handlers).push(rawRecord(6, 1, [], 0, 0)), isProtocolError("version"));
  });

  it("rejects records for an unexpected request id, but not management records", () => {
    const r = recorder();
    const decoder = new RecordDecoder(r.handlers, { isExpectedRequestId: (id) => id === 5 });
    decoder.push(rawRecord(RecordType.STDOUT, 5, [1]));
    decoder.push(rawRecord(RecordType.UNKNOWN_TYPE, 0, [3, 0, 0, 0, 0, 0, 0, 0]));
    assert.throws(() => decoder.push(rawRecord(RecordType.STDOUT, 6, [1])), isProtocolError("unexpected-request-id"));
    assert.deepEqual(r.events.map((e) => e.kind), ["stream", "management"]);
    // Unknown types with a stray id are refused too: the stream cannot be trusted.
    const d2 = new RecordDecoder(recorder().handlers, { isExpectedRequestId: () => false });
    assert.throws(() => d2.push(rawRecord(99, 1, [])), isProtocolError("unexpected-request-id"));
  });

  it("rejects BEGIN_REQUEST and END_REQUEST bodies that are not 8 bytes", () => {
    assert.throws(
      () => new RecordDecoder(recorder().handlers).push(rawRecord(RecordType.END_REQUEST, 1, [0, 0, 0, 0, 0])),
      isProtocolError("bad-record-length"),
    );
    assert.throws(
      () => new RecordDecoder(recorder().handlers).push(rawRecord(RecordType.BEGIN_REQUEST, 1, new Uint8Array(9))),
      isProtocolError("bad-record-length"),
    );
  });

  it("delivers empty management content and ignores ABORT_REQUEST content", () => {
    const { events } = decodePieces([
      rawRecord(RecordType.GET_VALUES, 0, [], 0),
      rawRecord(RecordType.ABORT_REQUEST, 3, [1, 2, 3], 5),
      rawRecord(RecordType.STDIN, 3, [7]),
    ]);
    assert.deepEqual(events, [
      { kind: "management", type: RecordType.GET_VALUES, content: new Uint8Array(0) },
      { kind: "abort", requestId: 3 },
      { kind: "stream", type: RecordType.STDIN, requestId: 3, data: Uint8Array.from([7]) },
    ]);
  });

  it("decodes 65535-byte content with 255 bytes of padding", () => {
    const content = bytesOf(65535, 5);
    const bytes = concat([rawRecord(RecordType.STDOUT, 1, content, 255), rawRecord(RecordType.STDOUT, 1, [])]);
    assert.deepEqual(decodePieces(splitAt(bytes, [4, 30000, 65540, 65545])).events, [
      { kind: "stream", type: RecordType.STDOUT, requestId: 1, data: content },
      { kind: "streamEnd", type: RecordType.STDOUT, requestId: 1 },
    ]);
  });

  it("ignores empty pushes", () => {
    const r = recorder();
    const handlers: RecordHandlers = r.handlers;
    const decoder = new RecordDecoder(handlers);
    decoder.push(new Uint8Array(0));
    decoder.push(rawRecord(RecordType.STDOUT, 1, []).subarray(0, 4));
    decoder.push(new Uint8Array(0));
    decoder.push(rawRecord(RecordType.STDOUT, 1, []).subarray(4));
    assert.deepEqual(r.events, [{ kind: "streamEnd", type: RecordType.STDOUT, requestId: 1 }]);
    assert.equal(decoder.idle, true);
  });
});

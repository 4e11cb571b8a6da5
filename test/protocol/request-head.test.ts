import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodePairs,
  encodeRequestHead,
  FCGI_KEEP_CONN,
  MAX_RECORD_CONTENT,
  ParamTooLargeError,
  RecordType,
  Role,
} from "../../src/protocol/index.ts";
import type { ParsedRecord } from "./recorder.ts";
import { concat, decodePieces, referencePair, walkRecords } from "./recorder.ts";

type Pair = [string, string];

/** Check the layout and return the PARAMS pairs (each record parsed ON ITS OWN) and the STDIN bytes. */
function inspect(bytes: Uint8Array, requestId: number): { begin: ParsedRecord; params: Pair[]; paramsRecords: number; stdin?: Uint8Array } {
  const records = walkRecords(bytes);
  for (const r of records) {
    assert.equal(r.version, 1);
    assert.equal(r.requestId, requestId);
    assert.equal((r.content.length + r.padding.length) % 8, 0, "padded to 8");
    assert.ok(r.padding.length < 8);
    assert.ok(r.content.length <= MAX_RECORD_CONTENT);
    assert.ok(r.padding.every((b) => b === 0));
  }
  const [begin, ...rest] = records;
  assert.ok(begin);
  assert.equal(begin.type, RecordType.BEGIN_REQUEST);
  const params: Pair[] = [];
  let i = 0;
  let paramsRecords = 0;
  for (; rest[i]!.content.length > 0; i++) {
    assert.equal(rest[i]!.type, RecordType.PARAMS);
    // decodePairs throws if the record does not end on a pair boundary.
    params.push(...decodePairs(rest[i]!.content));
    paramsRecords++;
  }
  assert.equal(rest[i]!.type, RecordType.PARAMS, "empty PARAMS ends the stream");
  i++;
  if (i === rest.length) return { begin, params, paramsRecords };
  const stdin: Uint8Array[] = [];
  for (; rest[i]!.content.length > 0; i++) {
    assert.equal(rest[i]!.type, RecordType.STDIN);
    stdin.push(rest[i]!.content);
  }
  assert.equal(rest[i]!.type, RecordType.STDIN, "empty STDIN ends the body");
  assert.equal(i + 1, rest.length, "nothing after the end of STDIN");
  return { begin, params, paramsRecords, stdin: concat(stdin) };
}

const TYPICAL: Pair[] = [
  ["GATEWAY_INTERFACE", "CGI/1.1"],
  ["SERVER_SOFTWARE", "proxy-fcgi"],
  ["REQUEST_METHOD", "POST"],
  ["SCRIPT_FILENAME", "/var/www/html/index.php"],
  ["QUERY_STRING", "a=1&b=%C3%A9"],
  ["HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64) ".repeat(4)],
  ["HTTP_X_EMPTY", ""],
  ["PATH_INFO", "/grüße/😀"],
];

describe("encodeRequestHead", () => {
  it("produces one buffer: BEGIN_REQUEST, PARAMS, empty PARAMS", () => {
    const bytes = encodeRequestHead({ requestId: 1, keepConn: false, params: TYPICAL });
    assert.ok(bytes instanceof Uint8Array);
    const { begin, params, paramsRecords, stdin } = inspect(bytes, 1);
    assert.deepEqual(begin.content, Uint8Array.from([0, Role.RESPONDER, 0, 0, 0, 0, 0, 0]));
    assert.deepEqual(params, TYPICAL);
    assert.equal(paramsRecords, 1);
    assert.equal(stdin, undefined);
    // The PARAMS content is exactly the pairs, in order.
    assert.deepEqual(walkRecords(bytes)[1]!.content, concat(TYPICAL.map(([n, v]) => referencePair(n, v))));
  });

  it("sets keepConn and the role", () => {
    const bytes = encodeRequestHead({ requestId: 300, keepConn: true, role: Role.AUTHORIZER, params: [] });
    assert.deepEqual(
      bytes,
      Uint8Array.from([1, 1, 1, 44, 0, 8, 0, 0, 0, 2, FCGI_KEEP_CONN, 0, 0, 0, 0, 0, 1, 4, 1, 44, 0, 0, 0, 0]),
    );
  });

  it("includes STDIN and its end when a body is given, even an empty one", () => {
    const empty = encodeRequestHead({ requestId: 2, keepConn: false, params: TYPICAL, stdin: new Uint8Array(0) });
    assert.deepEqual(inspect(empty, 2).stdin, new Uint8Array(0));
    const body = Uint8Array.from({ length: 150_000 }, (_, i) => i % 251);
    const big = encodeRequestHead({ requestId: 2, keepConn: false, params: TYPICAL, stdin: body });
    const got = inspect(big, 2);
    assert.deepEqual(got.stdin, body);
    assert.deepEqual(got.params, TYPICAL);
    const { events } = decodePieces([big]);
    assert.equal(events.filter((e) => e.kind === "streamEnd").length, 2);
  });

  it("spreads many params over several records of whole pairs", () => {
    const many: Pair[] = Array.from({ length: 3000 }, (_, i) => [`HTTP_X_${i}`, "é".repeat(i % 90) + "v".repeat(i % 37)]);
    const bytes = encodeRequestHead({ requestId: 1, keepConn: false, params: many });
    const { params, paramsRecords } = inspect(bytes, 1);
    assert.deepEqual(params, many);
    assert.ok(paramsRecords >= 3, `${paramsRecords} records`);
    // Records are filled as far as whole pairs allow: each record plus the next pair would overflow.
    const records = walkRecords(bytes).filter((r) => r.type === RecordType.PARAMS && r.content.length > 0);
    for (let i = 0; i + 1 < records.length; i++) {
      const nextFirst = decodePairs(records[i + 1]!.content)[0]!;
      assert.ok(records[i]!.content.length + referencePair(...nextFirst).length > MAX_RECORD_CONTENT);
    }
  });

  it("accepts a pair of exactly MAX_RECORD_CONTENT bytes and refuses one byte more", () => {
    // "N" + 4-byte value length + 1-byte name length: 6 bytes of overhead.
    const fits: Pair = ["N", "v".repeat(MAX_RECORD_CONTENT - 6)];
    assert.equal(referencePair(...fits).length, MAX_RECORD_CONTENT);
    const bytes = encodeRequestHead({ requestId: 1, keepConn: false, params: [["A", "1"], fits, ["B", "2"]] });
    const { params, paramsRecords } = inspect(bytes, 1);
    assert.deepEqual(params, [["A", "1"], fits, ["B", "2"]]);
    assert.equal(paramsRecords, 3);

    const over: Pair = ["N", "v".repeat(MAX_RECORD_CONTENT - 5)];
    assert.throws(
      () => encodeRequestHead({ requestId: 1, keepConn: false, params: [["A", "1"], over] }),
      (e: unknown) => e instanceof ParamTooLargeError && e.paramName === "N" && e.encodedSize === MAX_RECORD_CONTENT + 1,
    );
  });

  it("refuses a pair that only exceeds the limit once UTF-8 encoded", () => {
    // 32762 UTF-16 units pass the cheap pre-check; encoded, the value is 65524 bytes.
    const value = "é".repeat(32762);
    assert.throws(
      () => encodeRequestHead({ requestId: 1, keepConn: false, params: [["HTTP_COOKIE", value]] }),
      (e: unknown) =>
        e instanceof ParamTooLargeError && e.paramName === "HTTP_COOKIE" && e.encodedSize === referencePair("HTTP_COOKIE", value).length,
    );
    // A huge string is refused without being encoded.
    assert.throws(
      () => encodeRequestHead({ requestId: 1, keepConn: false, params: [["HTTP_X", "x".repeat(5_000_000)]] }),
      (e: unknown) => e instanceof ParamTooLargeError && e.encodedSize === 1 + 4 + 6 + 5_000_000,
    );
  });

  it("returns independent buffers across calls, including after a large head", () => {
    const first = encodeRequestHead({ requestId: 1, keepConn: false, params: TYPICAL });
    const copy = first.slice();
    const hugeParams: Pair[] = Array.from({ length: 20 }, (_, i) => [`V${i}`, "z".repeat(60_000)]);
    const huge = encodeRequestHead({ requestId: 2, keepConn: true, params: hugeParams });
    assert.deepEqual(inspect(huge, 2).params, hugeParams);
    const again = encodeRequestHead({ requestId: 1, keepConn: false, params: TYPICAL });
    assert.deepEqual(first, copy);
    assert.deepEqual(again, copy);
    // Small heads may share a slab, never bytes: writing one leaves the others as they were.
    const overlap = again.buffer === first.buffer &&
      again.byteOffset < first.byteOffset + first.length && first.byteOffset < again.byteOffset + again.length;
    assert.equal(overlap, false);
    again.fill(0xee);
    assert.deepEqual(first, copy);
    const many = Array.from({ length: 500 }, (_, i) => encodeRequestHead({ requestId: i + 1, keepConn: false, params: TYPICAL }));
    for (const [i, head] of many.entries()) assert.equal(inspect(head, i + 1).params.length, TYPICAL.length, `head ${i}`);
  });

  it("accepts any iterable of pairs, such as a Map or a generator", () => {
    const map = new Map(TYPICAL);
    function* gen() {
      yield* TYPICAL;
    }
    const a = encodeRequestHead({ requestId: 1, keepConn: false, params: map });
    const b = encodeRequestHead({ requestId: 1, keepConn: false, params: gen() });
    assert.deepEqual(a, b);
    assert.deepEqual(inspect(a, 1).params, TYPICAL);
  });

  it("refuses request id 0 and ids over 16 bits", () => {
    assert.throws(() => encodeRequestHead({ requestId: 0, keepConn: false, params: [] }), RangeError);
    assert.throws(() => encodeRequestHead({ requestId: 65536, keepConn: false, params: [] }), RangeError);
  });
});

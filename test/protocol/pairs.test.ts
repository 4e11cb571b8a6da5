import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodePairs,
  encodedPairSize,
  pairMaxBytes,
  PairsParser,
  parseGetValues,
  ProtocolError,
  writePair,
} from "../../src/protocol/index.ts";
import { concat, prng, referencePair } from "./recorder.ts";

function encodePair(name: string, value: string): Uint8Array {
  const buf = new Uint8Array(pairMaxBytes(name, value) + 3).fill(0x55);
  const end = writePair(buf, 3, name, value);
  assert.ok(end > 3);
  return buf.slice(3, end);
}

const isProtocolError = (reason: string) => (e: unknown) => e instanceof ProtocolError && e.reason === reason;

describe("writePair", () => {
  it("writes literal spec bytes for short pairs", () => {
    assert.deepEqual(encodePair("A", ""), Uint8Array.from([1, 0, 0x41]));
    assert.deepEqual(encodePair("", ""), Uint8Array.from([0, 0]));
    assert.deepEqual(encodePair("AB", "xyz"), Uint8Array.from([2, 3, 0x41, 0x42, 0x78, 0x79, 0x7a]));
  });

  it("uses a 1-byte length below 128 and 4 bytes with the high bit from 128", () => {
    const v127 = "v".repeat(127);
    const e127 = encodePair("N", v127);
    assert.deepEqual(e127.subarray(0, 2), Uint8Array.from([1, 127]));
    assert.equal(e127.length, 2 + 1 + 127);
    const e128 = encodePair("N", "v".repeat(128));
    assert.deepEqual(e128.subarray(0, 5), Uint8Array.from([1, 0x80, 0, 0, 128]));
    assert.equal(e128.length, 5 + 1 + 128);
    const big = encodePair("n".repeat(200), "v".repeat(65520));
    assert.deepEqual(big.subarray(0, 8), Uint8Array.from([0x80, 0, 0, 200, 0x80, 0, 0xff, 0xf0]));
  });

  it("matches a reference encoder for lengths around every slot decision", () => {
    const names = ["", "a", "é", "€", "😀", "\ud800", "x".repeat(42), "x".repeat(43), "é".repeat(42),
      "é".repeat(43), "é".repeat(63), "é".repeat(64), "€".repeat(42), "€".repeat(43), "x".repeat(127),
      "x".repeat(128), "😀".repeat(21), "😀".repeat(32), "a".repeat(65528), "ascii then é", "PATH/€/x",
      "x".repeat(256), "x".repeat(257), "x".repeat(255) + "é", "x".repeat(300) + "😀"];
    for (const name of names) {
      for (const value of names) {
        const got = encodePair(name, value);
        assert.deepEqual(got, referencePair(name, value), `name ${name.length} units, value ${value.length} units`);
        assert.equal(got.length, encodedPairSize(name, value));
      }
    }
  });

  it("returns -1 when the target is too small, and never writes past it", () => {
    const name = "HTTP_X";
    const value = "é".repeat(100);
    const exact = referencePair(name, value).length;
    for (let size = 0; size < exact; size++) {
      const backing = new Uint8Array(size + 4).fill(0x77);
      assert.equal(writePair(backing.subarray(0, size), 0, name, value), -1, `size ${size}`);
      assert.deepEqual(backing.subarray(size), Uint8Array.from([0x77, 0x77, 0x77, 0x77]));
    }
    // 4-byte slots are reserved before the lengths are known, so the exact size plus 3 per slot is enough.
    const roomy = new Uint8Array(exact + 3);
    assert.equal(writePair(roomy, 0, name, value), exact);
  });
});

function streamOf(pairs: ReadonlyArray<readonly [string, string]>): Uint8Array {
  return concat(pairs.map(([n, v]) => referencePair(n, v)));
}

const SAMPLE: Array<[string, string]> = [
  ["SCRIPT_FILENAME", "/var/www/index.php"],
  ["EMPTY", ""],
  ["", "no name"],
  ["", ""],
  ["LONG_VALUE", "v".repeat(300)],
  ["N".repeat(130), "short"],
  ["UNICODE", "Grüße 😀 €"],
  ["K", "x".repeat(127)],
];

describe("PairsParser", () => {
  it("parses a stream split at every possible point (two pieces)", () => {
    const bytes = streamOf(SAMPLE);
    for (let at = 0; at <= bytes.length; at++) {
      const parser = new PairsParser();
      const got = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at))];
      parser.end();
      assert.deepEqual(got, SAMPLE, `split at ${at}`);
    }
  });

  it("parses a stream fed one byte at a time", () => {
    const bytes = streamOf(SAMPLE);
    const parser = new PairsParser();
    const got: Array<[string, string]> = [];
    for (let i = 0; i < bytes.length; i++) {
      got.push(...parser.push(bytes.subarray(i, i + 1)));
    }
    parser.end();
    assert.deepEqual(got, SAMPLE);
  });

  it("parses pairs spanning records, three pieces at random split points", () => {
    const bytes = streamOf(SAMPLE);
    const rand = prng(12345);
    for (let round = 0; round < 2000; round++) {
      const a = Math.floor(rand() * (bytes.length + 1));
      const b = a + Math.floor(rand() * (bytes.length - a + 1));
      const parser = new PairsParser();
      const got = [
        ...parser.push(bytes.subarray(0, a)),
        ...parser.push(bytes.subarray(a, b)),
        ...parser.push(bytes.subarray(b)),
      ];
      parser.end();
      assert.deepEqual(got, SAMPLE, `splits ${a}, ${b}`);
    }
  });

  it("accepts a pair of 65528 bytes and empty values", () => {
    const pairs: Array<[string, string]> = [["BIG", "b".repeat(65528 - 3 - 1 - 4)], ["E", ""]];
    const bytes = streamOf(pairs);
    assert.equal(referencePair(...pairs[0]!).length, 65528);
    assert.deepEqual(decodePairs(bytes), pairs);
  });

  it("reports an unfinished pair at end of stream as malformed", () => {
    const bytes = streamOf(SAMPLE);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new PairsParser();
      parser.push(bytes.subarray(0, cut));
      const boundary = parser.atBoundary;
      if (boundary) parser.end();
      else assert.throws(() => parser.end(), isProtocolError("malformed-pair"), `cut at ${cut}`);
    }
    assert.throws(() => decodePairs(Uint8Array.from([0x80, 0, 0])), isProtocolError("malformed-pair"));
    assert.throws(() => decodePairs(Uint8Array.from([3, 0, 0x41])), isProtocolError("malformed-pair"));
    assert.throws(() => decodePairs(Uint8Array.from([1])), isProtocolError("malformed-pair"));
  });

  it("knows the pair boundaries exactly", () => {
    const bytes = streamOf(SAMPLE);
    const boundaries = new Set<number>([0]);
    let at = 0;
    for (const [n, v] of SAMPLE) boundaries.add((at += referencePair(n, v).length));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new PairsParser();
      parser.push(bytes.subarray(0, cut));
      assert.equal(parser.atBoundary, boundaries.has(cut), `cut ${cut}`);
    }
  });

  it("refuses lengths over its limit before allocating", () => {
    // A 4-byte length claiming 2 GiB.
    const huge = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0]);
    assert.throws(() => new PairsParser().push(huge), isProtocolError("pair-too-large"));
    const small = new PairsParser({ maxPairBytes: 10 });
    assert.deepEqual(small.push(referencePair("12345", "67890")), [["12345", "67890"]]);
    assert.throws(() => small.push(referencePair("12345", "678901")), isProtocolError("pair-too-large"));
  });

  it("decodes UTF-8 by default and latin1 on request", () => {
    const bytes = referencePair("NAME", "é\u00ff");
    assert.deepEqual(decodePairs(bytes), [["NAME", "é\u00ff"]]);
    assert.deepEqual(decodePairs(bytes, { latin1: true }), [["NAME", "\u00c3\u00a9\u00c3\u00bf"]]);
    // Invalid UTF-8 is replaced, latin1 keeps every byte.
    const raw = Uint8Array.from([1, 2, 0x41, 0x80, 0x9f]);
    assert.deepEqual(decodePairs(raw), [["A", "\ufffd\ufffd"]]);
    assert.deepEqual(decodePairs(raw, { latin1: true }), [["A", "\u0080\u009f"]]);
  });
});

describe("parseGetValues", () => {
  it("reads GET_VALUES / GET_VALUES_RESULT content into a Map", () => {
    const content = streamOf([["FCGI_MAX_CONNS", "10"], ["FCGI_MPXS_CONNS", "0"], ["FCGI_MAX_REQS", ""]]);
    assert.deepEqual(
      parseGetValues(content),
      new Map([["FCGI_MAX_CONNS", "10"], ["FCGI_MPXS_CONNS", "0"], ["FCGI_MAX_REQS", ""]]),
    );
  });
});

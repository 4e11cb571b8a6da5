// Randomized round trips with a seeded PRNG: a failure message names the seed that reproduces it.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  abortRequest,
  beginRequest,
  decodePairs,
  encodeRequestHead,
  endRequest,
  PairsParser,
  RecordDecoder,
  RecordType,
  streamRecords,
} from "../../src/protocol/index.ts";
import { concat, decodePieces, mergeStreams, prng, rawRecord, recorder, splitAt, walkRecords } from "./recorder.ts";
import type { DecodedEvent } from "./recorder.ts";

type Rand = () => number;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

function randomBytes(rand: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** A random record sequence as bytes plus the events a decoder must report for it. */
function randomSequence(rand: Rand): { bytes: Uint8Array; expected: DecodedEvent[] } {
  const parts: Uint8Array[] = [];
  const expected: DecodedEvent[] = [];
  const count = int(rand, 1, 25);
  for (let i = 0; i < count; i++) {
    const id = int(rand, 1, 3);
    const pad = rand() < 0.5 ? 0 : int(rand, 0, 255);
    const viaEncoder = rand() < 0.5;
    const pick = rand();
    if (pick < 0.1) {
      const role = int(rand, 1, 3);
      const flags = int(rand, 0, 1);
      parts.push(viaEncoder ? beginRequest(id, role, flags) : rawRecord(RecordType.BEGIN_REQUEST, id, [0, role, flags, 0, 0, 0, 0, 0], pad));
      expected.push({ kind: "begin", requestId: id, role, flags });
    } else if (pick < 0.15) {
      parts.push(viaEncoder ? abortRequest(id) : rawRecord(RecordType.ABORT_REQUEST, id, [], pad));
      expected.push({ kind: "abort", requestId: id });
    } else if (pick < 0.25) {
      const appStatus = (rand() * 2 ** 32) >>> 0;
      const protocolStatus = int(rand, 0, 3);
      const body = [appStatus >>> 24, (appStatus >>> 16) & 255, (appStatus >>> 8) & 255, appStatus & 255, protocolStatus, 0, 0, 0];
      parts.push(viaEncoder ? endRequest(id, appStatus, protocolStatus) : rawRecord(RecordType.END_REQUEST, id, body, pad));
      expected.push({ kind: "end", requestId: id, appStatus, protocolStatus });
    } else if (pick < 0.35) {
      const type = rand() < 0.8 ? int(rand, 9, 11) : int(rand, 0, 255);
      const content = randomBytes(rand, int(rand, 0, 100));
      parts.push(rawRecord(type, 0, content, pad));
      expected.push({ kind: "management", type, content });
    } else if (pick < 0.45) {
      // Unknown record type for a request: skipped whole.
      const type = rand() < 0.5 ? int(rand, 12, 255) : int(rand, 9, 11);
      parts.push(rawRecord(type, id, randomBytes(rand, int(rand, 0, 3000)), pad));
    } else {
      const type = int(rand, RecordType.PARAMS, RecordType.DATA);
      const roll = rand();
      const n = roll < 0.2 ? 0 : roll < 0.95 ? int(rand, 1, 400) : int(rand, 60_000, 140_000);
      const data = randomBytes(rand, n);
      if (n === 0) {
        parts.push(rawRecord(type, id, [], pad));
        expected.push({ kind: "streamEnd", type, requestId: id });
      } else {
        parts.push(viaEncoder || n > 65535 ? streamRecords(type, id, data) : rawRecord(type, id, data, pad));
        expected.push({ kind: "stream", type, requestId: id, data });
      }
    }
  }
  return { bytes: concat(parts), expected: mergeStreams(expected) };
}

const isExpected = { isExpectedRequestId: (id: number) => id >= 1 && id <= 3 };

describe("randomized record round trips", () => {
  it("decodes random record sequences split at random points", () => {
    for (let seed = 1; seed <= 400; seed++) {
      const rand = prng(seed);
      const { bytes, expected } = randomSequence(rand);
      for (let round = 0; round < 5; round++) {
        const cuts = Array.from({ length: int(rand, 0, 30) }, () => int(rand, 0, bytes.length)).sort((a, b) => a - b);
        const got = decodePieces(splitAt(bytes, cuts), isExpected);
        assert.equal(got.idle, true, `seed ${seed}`);
        assert.deepEqual(got.events, expected, `seed ${seed}, cuts ${cuts.join(",")}`);
      }
    }
  });

  it("decodes small random sequences one byte at a time", () => {
    for (let seed = 1000; seed < 1040; seed++) {
      const rand = prng(seed);
      const { bytes, expected } = randomSequence(rand);
      if (bytes.length > 50_000) continue;
      const r = recorder();
      const decoder = new RecordDecoder(r.handlers, isExpected);
      for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
      assert.equal(decoder.idle, true, `seed ${seed}`);
      assert.deepEqual(mergeStreams(r.events), expected, `seed ${seed}`);
    }
  });
});

const ALPHABET = ["a", "Z", "_", "=", " ", "\n", "\0", "é", "ß", "€", "中", "😀", "\u00ff", "\u0080"];

function randomString(rand: Rand, max: number): string {
  const n = rand() < 0.1 ? int(rand, 100, max) : int(rand, 0, 60);
  let s = "";
  for (let i = 0; i < n; i++) s += rand() < 0.7 ? "x" : ALPHABET[int(rand, 0, ALPHABET.length - 1)]!;
  return s;
}

describe("randomized params round trips", () => {
  it("encodeRequestHead → records → PairsParser, whole and record by record", () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rand = prng(seed * 7919);
      const params: Array<[string, string]> = Array.from({ length: int(rand, 0, 400) }, () => [
        randomString(rand, 300),
        randomString(rand, rand() < 0.05 ? 20_000 : 2000),
      ]);
      const stdin = rand() < 0.5 ? randomBytes(rand, int(rand, 0, 100_000)) : undefined;
      const bytes = encodeRequestHead({ requestId: 1, keepConn: rand() < 0.5, params, stdin });

      const records = walkRecords(bytes);
      const paramsContent = records.filter((r) => r.type === RecordType.PARAMS).map((r) => r.content);
      // Each record on its own holds whole pairs (PHP-FPM's view).
      assert.deepEqual(paramsContent.flatMap((c) => decodePairs(c)), params, `seed ${seed}`);
      // The stream as a whole, pushed in random pieces.
      const all = concat(paramsContent);
      const cuts = Array.from({ length: int(rand, 0, 40) }, () => int(rand, 0, all.length)).sort((a, b) => a - b);
      const parser = new PairsParser();
      const got = splitAt(all, cuts).flatMap((piece) => parser.push(piece));
      parser.end();
      assert.deepEqual(got, params, `seed ${seed}`);
      const stdinContent = concat(records.filter((r) => r.type === RecordType.STDIN).map((r) => r.content));
      assert.deepEqual(stdinContent, stdin ?? new Uint8Array(0), `seed ${seed}`);
      assert.equal(records.filter((r) => r.type === RecordType.STDIN).length > 0, stdin !== undefined);
    }
  });
});

// Name-value pairs (spec §3.4): each length is 1 byte when < 128, otherwise 4 bytes big-endian with
// the high bit set; then the name bytes, then the value bytes. Empty values are legal.
//
// Strings travel as UTF-8 both ways: the writer encodes with TextEncoder (a loop for short ASCII),
// the parser decodes with TextDecoder (invalid sequences become U+FFFD) unless asked for latin1,
// which maps every byte to one char and so loses nothing.

import { ProtocolError } from "../errors.ts";

const encoder = new TextEncoder();
const utf8 = new TextDecoder();

/**
 * A value is text (sent as UTF-8) or exact bytes: a request header that is not UTF-8 must reach the
 * backend as the client sent it, which no JS string encodes to.
 */
export type PairValue = string | Uint8Array;

/** Bytes a pair's length prefix takes for a length of `n` bytes. */
export function lengthPrefixSize(n: number): number {
  return n < 128 ? 1 : 4;
}

/**
 * A bound writePair never exceeds: two 4-byte lengths plus 3 bytes per UTF-16 code unit
 * (a surrogate pair is 2 units and 4 bytes; a lone surrogate becomes U+FFFD, 3 bytes).
 */
export function pairMaxBytes(name: string, value: PairValue): number {
  return 8 + 3 * name.length + (typeof value === "string" ? 3 : 1) * value.length;
}

/**
 * Exact encoded size of a pair. Slow (encodes both strings): for error reports and tests,
 * not for the hot path.
 */
export function encodedPairSize(name: string, value: PairValue): number {
  const n = encoder.encode(name).length;
  const v = typeof value === "string" ? encoder.encode(value).length : value.length;
  return lengthPrefixSize(n) + lengthPrefixSize(v) + n + v;
}

function writeLength(target: Uint8Array, offset: number, n: number): number {
  if (n < 128) {
    target[offset] = n;
    return offset + 1;
  }
  target[offset] = (n >>> 24) | 0x80;
  target[offset + 1] = (n >>> 16) & 0xff;
  target[offset + 2] = (n >>> 8) & 0xff;
  target[offset + 3] = n & 0xff;
  return offset + 4;
}

/**
 * Up to this many UTF-16 units, ASCII is copied by a JS loop: CGI variables are short and mostly
 * ASCII, and the loop halves encodeRequestHead's time on Node 20 compared with a TextEncoder call.
 */
const ASCII_LOOP_MAX = 256;

/** UTF-8 of `s` (or the bytes given) at target[at..]; returns the byte count, or -1 if the target is too small. */
function writeString(target: Uint8Array, at: number, s: PairValue): number {
  const n = s.length;
  if (typeof s !== "string") {
    if (at + n > target.length) return -1;
    target.set(s, at);
    return n;
  }
  if (n <= ASCII_LOOP_MAX && at + n <= target.length) {
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      target[at + i++] = c;
    }
    if (i === n) return n;
  }
  // Non-ASCII (or long): TextEncoder writes the whole string again, ASCII prefix included.
  const r = encoder.encodeInto(s, target.subarray(at));
  return r.read === n ? r.written : -1;
}

/**
 * Encode one pair straight into `target` at `offset` (no intermediate arrays); returns the offset
 * after it, or -1 when the target is too small (its bytes past `offset` are then garbage).
 * `pairMaxBytes` bytes of room always suffice. The byte lengths are only known after encoding, so
 * a string that may need a 4-byte length is written with room for one, and the data is moved down
 * afterwards if it turned out shorter.
 */
export function writePair(target: Uint8Array, offset: number, name: string, value: PairValue): number {
  // length*3 < 128 guarantees a byte length below 128, hence a 1-byte prefix.
  const nameSlot = name.length * 3 < 128 ? 1 : 4;
  const valueSlot = (typeof value === "string" ? value.length * 3 : value.length) < 128 ? 1 : 4;
  const dataStart = offset + nameSlot + valueSlot;
  if (dataStart > target.length) return -1;
  const nameBytes = writeString(target, dataStart, name);
  if (nameBytes < 0) return -1;
  const valueStart = dataStart + nameBytes;
  const valueBytes = writeString(target, valueStart, value);
  if (valueBytes < 0) return -1;
  const dataEnd = valueStart + valueBytes;
  const shift = nameSlot + valueSlot - lengthPrefixSize(nameBytes) - lengthPrefixSize(valueBytes);
  if (shift !== 0) target.copyWithin(dataStart - shift, dataStart, dataEnd);
  writeLength(target, writeLength(target, offset, nameBytes), valueBytes);
  return dataEnd - shift;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

export interface PairsParserOptions {
  /** Largest name+value byte count accepted (default 1 MiB): a 4-byte length could claim 2 GiB. */
  readonly maxPairBytes?: number;
  /** Decode bytes as latin1 (one char per byte, lossless) instead of UTF-8. */
  readonly latin1?: boolean;
}

/**
 * Incremental parser for a PARAMS (or GET_VALUES) stream, for the server side. Feed the content of
 * each record with `push` in any pieces (pairs may span records); call `end` at the empty record.
 */
export class PairsParser {
  readonly #maxPairBytes: number;
  readonly #decode: (bytes: Uint8Array) => string;
  /** Length-prefix bytes of a pair whose prefixes straddle pushes. */
  readonly #lenBuf = new Uint8Array(8);
  #lenFill = 0;
  #nameLen = 0;
  #valueLen = 0;
  /** Name+value bytes of a pair that straddles pushes; null at a pair boundary or while reading lengths. */
  #body: Uint8Array | null = null;
  #bodyFill = 0;

  constructor(options: PairsParserOptions = {}) {
    this.#maxPairBytes = options.maxPairBytes ?? 1 << 20;
    this.#decode = options.latin1 ? latin1 : (b) => utf8.decode(b);
  }

  /** True when no partial pair is buffered. */
  get atBoundary(): boolean {
    return this.#lenFill === 0 && this.#body === null;
  }

  /** Parse more stream content; returns the pairs completed by it, in order. */
  push(data: Uint8Array): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const len = data.length;
    let pos = 0;
    while (pos < len) {
      const body = this.#body;
      if (body !== null) {
        const take = Math.min(body.length - this.#bodyFill, len - pos);
        body.set(data.subarray(pos, pos + take), this.#bodyFill);
        this.#bodyFill += take;
        pos += take;
        if (this.#bodyFill === body.length) {
          this.#body = null;
          out.push(this.#pair(body, 0));
        }
        continue;
      }
      if (this.#lenFill === 0) {
        const p = this.#readLengths(data, pos, len);
        if (p >= 0) {
          pos = p;
          const total = this.#nameLen + this.#valueLen;
          if (len - pos >= total) {
            out.push(this.#pair(data, pos));
            pos += total;
          } else {
            this.#body = new Uint8Array(total);
            this.#bodyFill = 0;
          }
          continue;
        }
      }
      // The length prefixes straddle pushes: gather them a byte at a time (8 bytes at most).
      this.#lenBuf[this.#lenFill++] = data[pos++]!;
      if (this.#readLengths(this.#lenBuf, 0, this.#lenFill) >= 0) {
        this.#lenFill = 0;
        const total = this.#nameLen + this.#valueLen;
        if (total === 0) out.push(["", ""]);
        else {
          this.#body = new Uint8Array(total);
          this.#bodyFill = 0;
        }
      }
    }
    return out;
  }

  /** End of stream: throws ProtocolError "malformed-pair" if a pair was left unfinished. */
  end(): void {
    if (!this.atBoundary) {
      this.#lenFill = 0;
      this.#body = null;
      throw new ProtocolError("malformed-pair", "FastCGI name-value pair runs past the end of its stream");
    }
  }

  /** Reads both lengths from buf[pos, end); returns the offset after them, or -1 if incomplete. */
  #readLengths(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    if (p >= end) return -1;
    let n = buf[p]!;
    if (n & 0x80) {
      if (end - p < 4) return -1;
      n = ((n & 0x7f) << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
    } else p += 1;
    if (p >= end) return -1;
    let v = buf[p]!;
    if (v & 0x80) {
      if (end - p < 4) return -1;
      v = ((v & 0x7f) << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
    } else p += 1;
    if (n + v > this.#maxPairBytes) {
      throw new ProtocolError("pair-too-large", `FastCGI name-value pair of ${n + v} bytes exceeds ${this.#maxPairBytes}`);
    }
    this.#nameLen = n;
    this.#valueLen = v;
    return p;
  }

  #pair(buf: Uint8Array, at: number): [string, string] {
    const nameEnd = at + this.#nameLen;
    return [
      this.#decode(buf.subarray(at, nameEnd)),
      this.#decode(buf.subarray(nameEnd, nameEnd + this.#valueLen)),
    ];
  }
}

/** Parse complete pairs content (one record, or a whole stream); throws ProtocolError if it ends mid-pair. */
export function decodePairs(content: Uint8Array, options?: PairsParserOptions): Array<[string, string]> {
  const parser = new PairsParser(options);
  const pairs = parser.push(content);
  parser.end();
  return pairs;
}

/**
 * Content of a GET_VALUES (names with empty values) or GET_VALUES_RESULT record as a Map
 * (spec §4.1). A repeated name keeps its last value.
 */
export function parseGetValues(content: Uint8Array): Map<string, string> {
  return new Map(decodePairs(content));
}

/** Same parser: GET_VALUES_RESULT content is pairs too. */
export const parseGetValuesResult: (content: Uint8Array) => Map<string, string> = parseGetValues;

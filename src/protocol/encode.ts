// Builders for every record type, for both directions (client: BEGIN/ABORT/PARAMS/STDIN/DATA;
// application: END/STDOUT/STDERR; either: management records). Each `writeX` writes into a caller's
// buffer at an offset and returns the offset after; each `x` allocates exactly once.

import { FCGI_HEADER_LEN, FCGI_NULL_REQUEST_ID, MAX_RECORD_CONTENT, RecordType, Role } from "./constants.ts";
import { checkRequestId, paddingFor, writeHeader } from "./header.ts";
import { pairMaxBytes, writePair } from "./pairs.ts";
import { scratchOf, takeScratch } from "./scratch.ts";

/** Header plus an 8-byte body: BEGIN_REQUEST, END_REQUEST and UNKNOWN_TYPE records. */
const FIXED_RECORD_LEN = FCGI_HEADER_LEN + 8;

function ensureRoom(target: Uint8Array, offset: number, size: number): void {
  if (!(offset >= 0 && offset + size <= target.length)) {
    throw new RangeError(`FastCGI record needs ${size} bytes at offset ${offset}; buffer holds ${target.length}`);
  }
}

function checkByte(what: string, n: number, max = 0xff): void {
  if (!(Number.isInteger(n) && n >= 0 && n <= max)) throw new RangeError(`FastCGI ${what} out of range: ${n}`);
}

/** BEGIN_REQUEST (spec §5.1): role (16 bits), flags (FCGI_KEEP_CONN), 5 reserved bytes. */
export function writeBeginRequest(
  target: Uint8Array,
  offset: number,
  requestId: number,
  role: number = Role.RESPONDER,
  flags = 0,
): number {
  checkRequestId(requestId, false);
  checkByte("role", role, 0xffff);
  checkByte("flags", flags);
  ensureRoom(target, offset, FIXED_RECORD_LEN);
  const p = writeHeader(target, offset, RecordType.BEGIN_REQUEST, requestId, 8, 0);
  target[p] = role >>> 8;
  target[p + 1] = role & 0xff;
  target[p + 2] = flags;
  target.fill(0, p + 3, p + 8);
  return p + 8;
}

export function beginRequest(requestId: number, role: number = Role.RESPONDER, flags = 0): Uint8Array {
  const out = new Uint8Array(FIXED_RECORD_LEN);
  writeBeginRequest(out, 0, requestId, role, flags);
  return out;
}

/** ABORT_REQUEST (spec §5.4): a header with no content. */
export function writeAbortRequest(target: Uint8Array, offset: number, requestId: number): number {
  checkRequestId(requestId, false);
  return writeHeader(target, offset, RecordType.ABORT_REQUEST, requestId, 0, 0);
}

export function abortRequest(requestId: number): Uint8Array {
  const out = new Uint8Array(FCGI_HEADER_LEN);
  writeAbortRequest(out, 0, requestId);
  return out;
}

/**
 * END_REQUEST (spec §5.5): appStatus (32 bits; taken modulo 2^32 like a C exit status, so -1
 * becomes 4294967295), protocolStatus, 3 reserved bytes.
 */
export function writeEndRequest(
  target: Uint8Array,
  offset: number,
  requestId: number,
  appStatus: number,
  protocolStatus: number,
): number {
  checkRequestId(requestId, false);
  checkByte("protocolStatus", protocolStatus);
  ensureRoom(target, offset, FIXED_RECORD_LEN);
  const p = writeHeader(target, offset, RecordType.END_REQUEST, requestId, 8, 0);
  const s = appStatus >>> 0;
  target[p] = s >>> 24;
  target[p + 1] = (s >>> 16) & 0xff;
  target[p + 2] = (s >>> 8) & 0xff;
  target[p + 3] = s & 0xff;
  target[p + 4] = protocolStatus;
  target.fill(0, p + 5, p + 8);
  return p + 8;
}

export function endRequest(requestId: number, appStatus: number, protocolStatus: number): Uint8Array {
  const out = new Uint8Array(FIXED_RECORD_LEN);
  writeEndRequest(out, 0, requestId, appStatus, protocolStatus);
  return out;
}

/** UNKNOWN_TYPE (spec §4.2): the management reply naming a record type the application does not know. */
export function writeUnknownType(target: Uint8Array, offset: number, type: number): number {
  checkByte("record type", type);
  ensureRoom(target, offset, FIXED_RECORD_LEN);
  const p = writeHeader(target, offset, RecordType.UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID, 8, 0);
  target[p] = type;
  target.fill(0, p + 1, p + 8);
  return p + 8;
}

export function unknownType(type: number): Uint8Array {
  const out = new Uint8Array(FIXED_RECORD_LEN);
  writeUnknownType(out, 0, type);
  return out;
}

/**
 * Bytes that `writeStreamRecords` emits for `length` bytes of data: records of at most
 * MAX_RECORD_CONTENT, each padded to a multiple of 8. Zero for empty data (no record at all).
 */
export function streamRecordsSize(length: number): number {
  if (length === 0) return 0;
  const records = Math.ceil(length / MAX_RECORD_CONTENT);
  const last = length - (records - 1) * MAX_RECORD_CONTENT;
  return length + records * FCGI_HEADER_LEN + paddingFor(last);
}

/**
 * Stream records (PARAMS, STDIN, STDOUT, STDERR, DATA) carrying `data`, split at MAX_RECORD_CONTENT.
 * Empty data writes nothing: an empty record would end the stream (spec §3.3), see writeStreamEnd.
 */
export function writeStreamRecords(
  target: Uint8Array,
  offset: number,
  type: number,
  requestId: number,
  data: Uint8Array,
): number {
  checkRequestId(requestId, false);
  ensureRoom(target, offset, streamRecordsSize(data.length));
  let p = offset;
  for (let at = 0; at < data.length; at += MAX_RECORD_CONTENT) {
    const n = Math.min(MAX_RECORD_CONTENT, data.length - at);
    const pad = paddingFor(n);
    p = writeHeader(target, p, type, requestId, n, pad);
    target.set(n === data.length ? data : data.subarray(at, at + n), p);
    p += n;
    if (pad !== 0) {
      target.fill(0, p, p + pad);
      p += pad;
    }
  }
  return p;
}

/** The empty record that ends a stream (spec §3.3). */
export function writeStreamEnd(target: Uint8Array, offset: number, type: number, requestId: number): number {
  checkRequestId(requestId, false);
  return writeHeader(target, offset, type, requestId, 0, 0);
}

/** `data` as stream records in one buffer, followed by the end-of-stream record when `end` is set. */
export function streamRecords(type: number, requestId: number, data: Uint8Array, end = false): Uint8Array {
  const size = streamRecordsSize(data.length);
  const out = new Uint8Array(size + (end ? FCGI_HEADER_LEN : 0));
  const p = writeStreamRecords(out, 0, type, requestId, data);
  if (end) writeStreamEnd(out, p, type, requestId);
  return out;
}

export function streamEnd(type: number, requestId: number): Uint8Array {
  const out = new Uint8Array(FCGI_HEADER_LEN);
  writeStreamEnd(out, 0, type, requestId);
  return out;
}

/** A single management record whose content is name-value pairs (spec §4.1: one record, no stream). */
function pairsRecord(type: number, entries: Iterable<readonly [string, string]>): Uint8Array {
  let p = FCGI_HEADER_LEN;
  let buf = scratchOf(p);
  for (const [name, value] of entries) {
    buf = scratchOf(p + pairMaxBytes(name, value), p);
    p = writePair(buf, p, name, value);
  }
  const length = p - FCGI_HEADER_LEN;
  if (length > MAX_RECORD_CONTENT) {
    throw new RangeError(`FastCGI management record content of ${length} bytes exceeds ${MAX_RECORD_CONTENT}`);
  }
  const pad = paddingFor(length);
  buf = scratchOf(p + pad, p);
  buf.fill(0, p, p + pad);
  writeHeader(buf, 0, type, FCGI_NULL_REQUEST_ID, length, pad);
  return takeScratch(p + pad);
}

/** GET_VALUES (spec §4.1): the variable names, each with an empty value. */
export function getValues(names: Iterable<string>): Uint8Array {
  const entries: Array<readonly [string, string]> = [];
  for (const name of names) entries.push([name, ""]);
  return pairsRecord(RecordType.GET_VALUES, entries);
}

/** GET_VALUES_RESULT (spec §4.1): a Map or any iterable of [name, value]. */
export function getValuesResult(values: Iterable<readonly [string, string]>): Uint8Array {
  return pairsRecord(RecordType.GET_VALUES_RESULT, values);
}

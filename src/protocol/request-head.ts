// The start of a request as ONE buffer: BEGIN_REQUEST, the PARAMS stream and its end, and, for a
// body known in full, the STDIN stream and its end. One buffer means one transport write, which
// matters because Nagle's algorithm is on by default in Deno and Node (≈40 ms per extra small write).

import { FCGI_HEADER_LEN, FCGI_KEEP_CONN, MAX_RECORD_CONTENT, RecordType, Role } from "./constants.ts";
import { writeBeginRequest, streamRecordsSize, writeStreamEnd, writeStreamRecords } from "./encode.ts";
import { ParamTooLargeError } from "../errors.ts";
import { checkRequestId, paddingFor, writeHeader } from "./header.ts";
import { encodedPairSize, pairMaxBytes, writePair, type PairValue } from "./pairs.ts";
import { scratchOf, takeScratch } from "./scratch.ts";
import { ParamList } from "./param-list.ts";

export interface RequestHeadOptions {
  readonly requestId: number;
  /** Set FCGI_KEEP_CONN: the application keeps the connection open after END_REQUEST. */
  readonly keepConn: boolean;
  /** Defaults to RESPONDER. */
  readonly role?: number;
  /** CGI variables, sent in this order. A ParamList is walked without allocating. */
  readonly params: ParamList | Iterable<readonly [string, PairValue]>;
  /** A complete (small) body, possibly empty: its STDIN records and the end of STDIN are included. */
  readonly stdin?: Uint8Array;
}

/** Room a record needs beyond its content: the worst padding plus the next record's header. */
const CLOSE_AND_NEXT = 7 + FCGI_HEADER_LEN;

/** Fill in the header of the PARAMS record at `recordStart` whose content ends at `end`; returns its end. */
function closeParamsRecord(buf: Uint8Array, recordStart: number, end: number, requestId: number): number {
  const length = end - recordStart - FCGI_HEADER_LEN;
  const pad = paddingFor(length);
  writeHeader(buf, recordStart, RecordType.PARAMS, requestId, length, pad);
  buf.fill(0, end, end + pad);
  return end + pad;
}

/**
 * Encode BEGIN_REQUEST + PARAMS (+ STDIN) as one Uint8Array. PARAMS records hold whole pairs only,
 * because PHP-FPM parses each PARAMS record on its own, and at most MAX_RECORD_CONTENT bytes each.
 * Throws ParamTooLargeError for a pair that cannot fit in one record.
 */
export function encodeRequestHead(opts: RequestHeadOptions): Uint8Array {
  const { requestId } = opts;
  checkRequestId(requestId, false);
  let buf = scratchOf(2 * FCGI_HEADER_LEN); // BEGIN_REQUEST; each pair below makes its own room
  let p = writeBeginRequest(buf, 0, requestId, opts.role ?? Role.RESPONDER, opts.keepConn ? FCGI_KEEP_CONN : 0);

  // Pairs are written after a header slot that is filled once the record is full or the params end.
  let recordStart = p;
  let contentStart = p + FCGI_HEADER_LEN;
  p = contentStart;
  let names: readonly string[], values: readonly PairValue[];
  if (opts.params instanceof ParamList) ({ names, values } = opts.params);
  else {
    const list = new ParamList();
    for (const [name, value] of opts.params) list.add(name, value);
    ({ names, values } = list);
  }
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!, value = values[i]!;
    // A pair takes at least one byte per UTF-16 unit plus two length bytes: reject before encoding.
    if (name.length + value.length + 2 > MAX_RECORD_CONTENT) {
      throw new ParamTooLargeError(name, encodedPairSize(name, value), MAX_RECORD_CONTENT);
    }
    buf = scratchOf(p + pairMaxBytes(name, value) + CLOSE_AND_NEXT, p);
    const end = writePair(buf, p, name, value);
    const size = end - p;
    if (size > MAX_RECORD_CONTENT) throw new ParamTooLargeError(name, size, MAX_RECORD_CONTENT);
    if (end - contentStart <= MAX_RECORD_CONTENT) {
      p = end;
      continue;
    }
    // The pair overflows this record: move the pair past the record's padding and a new header,
    // then close the record before it (in this order: the padding overlaps the pair's old place).
    const nextStart = p + paddingFor(p - contentStart);
    buf.copyWithin(nextStart + FCGI_HEADER_LEN, p, end);
    closeParamsRecord(buf, recordStart, p, requestId);
    recordStart = nextStart;
    contentStart = nextStart + FCGI_HEADER_LEN;
    p = contentStart + size;
  }
  buf = scratchOf(p + CLOSE_AND_NEXT, p);
  p = p > contentStart ? closeParamsRecord(buf, recordStart, p, requestId) : recordStart;
  p = writeStreamEnd(buf, p, RecordType.PARAMS, requestId);

  const stdin = opts.stdin;
  if (stdin === undefined) return takeScratch(p);
  const out = takeScratch(p, streamRecordsSize(stdin.length) + FCGI_HEADER_LEN);
  p = writeStreamRecords(out, p, RecordType.STDIN, requestId, stdin);
  writeStreamEnd(out, p, RecordType.STDIN, requestId);
  return out;
}

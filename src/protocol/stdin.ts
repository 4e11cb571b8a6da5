// STDIN records for a streamed request body: each body chunk becomes one buffer (one transport
// write), split into records of at most MAX_RECORD_CONTENT bytes.

import { RecordType } from "./constants.ts";
import { streamEnd, streamRecords } from "./encode.ts";

/**
 * STDIN records carrying `data`, plus the empty end-of-STDIN record when `end` is set (so the last
 * chunk and the end leave in one write). An empty chunk without `end` yields an empty buffer: an
 * empty STDIN record would end the body early.
 */
export function encodeStdinChunk(requestId: number, data: Uint8Array, end = false): Uint8Array {
  return streamRecords(RecordType.STDIN, requestId, data, end);
}

/** The empty STDIN record that ends the request body (spec §3.3). */
export function encodeStdinEnd(requestId: number): Uint8Array {
  return streamEnd(RecordType.STDIN, requestId);
}

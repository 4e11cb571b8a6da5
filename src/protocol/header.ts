// The 8-byte record header (spec §3.3, FCGI_Header):
//   version, type, requestIdB1, requestIdB0, contentLengthB1, contentLengthB0, paddingLength, reserved

import { FCGI_HEADER_LEN, FCGI_VERSION_1, MAX_CONTENT_LENGTH, MAX_REQUEST_ID } from "./constants.ts";

/** Padding that brings `contentLength` up to a multiple of 8 (spec §3.3 recommends 8-byte alignment). */
export function paddingFor(contentLength: number): number {
  return -contentLength & 7;
}

/**
 * Write a record header at `offset`; returns the offset just after it. Lengths are range-checked,
 * never truncated to 16 bits: a silently wrapped length lets content be read as new records.
 */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  type: number,
  requestId: number,
  contentLength: number,
  paddingLength: number,
): number {
  if (!(contentLength >= 0 && contentLength <= MAX_CONTENT_LENGTH && Number.isInteger(contentLength))) {
    throw new RangeError(`FastCGI contentLength out of range: ${contentLength}`);
  }
  if (!(paddingLength >= 0 && paddingLength <= 0xff && Number.isInteger(paddingLength))) {
    throw new RangeError(`FastCGI paddingLength out of range: ${paddingLength}`);
  }
  checkRequestId(requestId, true);
  if (offset < 0 || offset + FCGI_HEADER_LEN > target.length) {
    throw new RangeError("FastCGI header does not fit in the target buffer");
  }
  target[offset] = FCGI_VERSION_1;
  target[offset + 1] = type;
  target[offset + 2] = requestId >>> 8;
  target[offset + 3] = requestId & 0xff;
  target[offset + 4] = contentLength >>> 8;
  target[offset + 5] = contentLength & 0xff;
  target[offset + 6] = paddingLength;
  target[offset + 7] = 0;
  return offset + FCGI_HEADER_LEN;
}

/** Throws RangeError unless `requestId` is a 16-bit id (0 allowed only for management records). */
export function checkRequestId(requestId: number, allowZero: boolean): void {
  if (!(Number.isInteger(requestId) && requestId >= (allowZero ? 0 : 1) && requestId <= MAX_REQUEST_ID)) {
    throw new RangeError(`FastCGI requestId out of range: ${requestId}`);
  }
}

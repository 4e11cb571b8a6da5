// A multipart/byteranges body (RFC 9110 §14.6): each range with its Content-Type and Content-Range, read
// from the open file one part at a time.
import type { ByteRange } from "./range.ts";

const encoder = new TextEncoder();

/** The parts' heads and the closing delimiter, and the body's total length. */
export interface MultipartLayout {
  readonly boundary: string;
  readonly heads: readonly Uint8Array[];
  readonly tail: Uint8Array;
  readonly length: number;
}

/** Lays out the parts of `ranges` of a file of `size` bytes of type `contentType`. */
export function multipartLayout(ranges: readonly ByteRange[], size: number, contentType: string): MultipartLayout {
  const boundary = crypto.randomUUID().replace(/-/g, "");
  const heads = ranges.map((r, i) => encoder.encode(
    `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`));
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  let length = tail.length;
  ranges.forEach((r, i) => { length += heads[i]!.length + r.end - r.start + 1; });
  return { boundary, heads, tail, length };
}

/** The pieces of the body in order: a head, then the range's bytes, ..., then the tail. */
export function multipartPieces(layout: MultipartLayout, ranges: readonly ByteRange[]): Array<Uint8Array | ByteRange> {
  const out: Array<Uint8Array | ByteRange> = [];
  ranges.forEach((r, i) => { out.push(layout.heads[i]!, r); });
  out.push(layout.tail);
  return out;
}

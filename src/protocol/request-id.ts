// Rewrites the request id of every record in an encoded buffer, in place. The gateway encodes a request head
// with id 1 before it knows which connection (and so which free id) it gets; on a multiplexed connection the
// lease may carry another id, and patching 2 bytes per record is cheaper than encoding again.
import { FCGI_HEADER_LEN } from "./constants.ts";

export function setRequestId(records: Uint8Array, requestId: number): void {
  for (let p = 0; p + FCGI_HEADER_LEN <= records.length; ) {
    records[p + 2] = requestId >>> 8;
    records[p + 3] = requestId & 0xff;
    const content = (records[p + 4]! << 8) | records[p + 5]!;
    p += FCGI_HEADER_LEN + content + records[p + 6]!;
  }
}

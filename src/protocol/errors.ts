// Errors raised by the codec. The protocol layer imports nothing of ours, so the gateway maps
// these onto its own typed errors (ProtocolError → 502 Bad Gateway, ParamTooLargeError → 431).

/** Short machine-readable causes of a ProtocolError. */
export type ProtocolErrorReason =
  | "version" // header version byte is not FCGI_VERSION_1
  | "unexpected-request-id" // a record for a request id the reader did not expect
  | "bad-record-length" // a fixed-size body (BEGIN_REQUEST, END_REQUEST) has the wrong length
  | "malformed-pair" // a name-value pair ends past the end of its stream
  | "pair-too-large" // a name-value pair longer than the reader's limit
  | "decoder-failed"; // push() after an earlier ProtocolError: the stream is out of sync

/** The peer sent bytes that are not valid FastCGI. The connection cannot be trusted afterwards. */
export class ProtocolError extends Error {
  readonly reason: ProtocolErrorReason;
  constructor(reason: ProtocolErrorReason, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.reason = reason;
  }
}

/**
 * One name-value pair does not fit in a single PARAMS record. PHP-FPM parses each PARAMS record on
 * its own, so such a pair cannot be sent at all; the request is refused rather than the pair dropped.
 */
export class ParamTooLargeError extends Error {
  /** The variable's name (possibly long: it is the caller's job to shorten it for logs). */
  readonly paramName: string;
  /** Encoded size of the whole pair in bytes, length prefixes included. */
  readonly encodedSize: number;
  /** The largest pair size that would have fitted. */
  readonly limit: number;
  constructor(paramName: string, encodedSize: number, limit: number) {
    const shown = paramName.length > 64 ? `${paramName.slice(0, 64)}…` : paramName;
    super(`FastCGI param ${JSON.stringify(shown)} encodes to ${encodedSize} bytes, over the ${limit}-byte record limit`);
    this.name = "ParamTooLargeError";
    this.paramName = paramName;
    this.encodedSize = encodedSize;
    this.limit = limit;
  }
}

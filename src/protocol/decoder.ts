// Incremental record decoder: accepts input split at any byte. Stream content is handed out as
// views into the pushed chunks (no copy, no per-record allocation besides the view); fixed-size
// bodies are gathered in an 8-byte scratch; management content is copied into its own array.

import { FCGI_HEADER_LEN, FCGI_VERSION_1, RecordType } from "./constants.ts";
import { ProtocolError } from "../errors.ts";

export interface RecordHandlers {
  /**
   * Part of a stream record's content (PARAMS, STDIN, STDOUT, STDERR, DATA): a VIEW into the pushed
   * chunk, never a copy; length > 0. One record may arrive as several pieces.
   */
  stream(type: number, requestId: number, data: Uint8Array): void;
  /** A zero-length stream record: end of that stream. */
  streamEnd(type: number, requestId: number): void;
  beginRequest(requestId: number, role: number, flags: number): void;
  abortRequest(requestId: number): void;
  endRequest(requestId: number, appStatus: number, protocolStatus: number): void;
  /** Records with request id 0: GET_VALUES / GET_VALUES_RESULT / UNKNOWN_TYPE; content complete. */
  management(type: number, content: Uint8Array): void;
}

export interface RecordDecoderOptions {
  /** Records with another non-zero request id are a ProtocolError ("unexpected-request-id"). */
  readonly isExpectedRequestId?: (requestId: number) => boolean;
}

// What the decoder is reading.
const S_HEADER = 0;
const S_STREAM = 1; // stream content, handed out as it arrives
const S_BODY = 2; // a discrete record's content, gathered until complete
const S_SKIP = 3; // padding, or the whole content of a record we ignore

// What to report once the record (padding included) has been read.
const K_NONE = 0;
const K_STREAM_END = 1;
const K_BEGIN = 2;
const K_ABORT = 3;
const K_END = 4;
const K_MANAGEMENT = 5;

export class RecordDecoder {
  readonly #h: RecordHandlers;
  readonly #isExpected: ((requestId: number) => boolean) | undefined;
  /** Header bytes when a header straddles chunks. */
  readonly #header = new Uint8Array(FCGI_HEADER_LEN);
  #headerFill = 0;
  /** 8-byte bodies of BEGIN_REQUEST / END_REQUEST. */
  readonly #fixed = new Uint8Array(8);
  #state = S_HEADER;
  #kind = K_NONE;
  #type = 0;
  #requestId = 0;
  /** Content bytes still to come in S_STREAM / S_BODY; bytes to drop in S_SKIP. */
  #remaining = 0;
  #padding = 0;
  #body: Uint8Array = this.#fixed;
  #bodyFill = 0;
  #failed: ProtocolError | null = null;

  constructor(handlers: RecordHandlers, options: RecordDecoderOptions = {}) {
    this.#h = handlers;
    this.#isExpected = options.isExpectedRequestId;
  }

  /**
   * True when no partial record is buffered: the connection sits at a record boundary. Inside a
   * handler for END_REQUEST it is already true when that record was the last bytes read.
   */
  get idle(): boolean {
    return this.#state === S_HEADER && this.#headerFill === 0;
  }

  /**
   * Decode more bytes, calling the handlers synchronously. Throws ProtocolError on bad input, after
   * which the decoder refuses further input. If a handler throws, the rest of `chunk` is lost and the
   * decoder must be discarded too.
   */
  push(chunk: Uint8Array): void {
    if (this.#failed !== null) {
      throw new ProtocolError("decoder-failed", `FastCGI stream already failed: ${this.#failed.message}`);
    }
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.#state) {
        case S_HEADER: {
          if (this.#headerFill === 0 && len - pos >= FCGI_HEADER_LEN) {
            this.#startRecord(chunk, pos);
            pos += FCGI_HEADER_LEN;
          } else {
            const take = Math.min(FCGI_HEADER_LEN - this.#headerFill, len - pos);
            this.#header.set(chunk.subarray(pos, pos + take), this.#headerFill);
            this.#headerFill += take;
            pos += take;
            if (this.#headerFill < FCGI_HEADER_LEN) return;
            this.#headerFill = 0;
            this.#startRecord(this.#header, 0);
          }
          break;
        }
        case S_STREAM: {
          const take = Math.min(this.#remaining, len - pos);
          this.#remaining -= take;
          if (this.#remaining === 0) this.#contentDone();
          // After #contentDone so that `idle` is already true if this piece ends the record.
          this.#h.stream(this.#type, this.#requestId, chunk.subarray(pos, pos + take));
          pos += take;
          break;
        }
        case S_BODY: {
          const take = Math.min(this.#remaining, len - pos);
          this.#body.set(chunk.subarray(pos, pos + take), this.#bodyFill);
          this.#bodyFill += take;
          this.#remaining -= take;
          pos += take;
          if (this.#remaining === 0) this.#contentDone();
          break;
        }
        default: {
          const take = Math.min(this.#remaining, len - pos);
          this.#remaining -= take;
          pos += take;
          if (this.#remaining === 0) this.#finish();
        }
      }
    }
  }

  /** Forget any partial record (for a connection that starts over); clears a failure too. */
  reset(): void {
    this.#state = S_HEADER;
    this.#headerFill = 0;
    this.#kind = K_NONE;
    this.#body = this.#fixed;
    this.#failed = null;
  }

  #fail(reason: "version" | "unexpected-request-id" | "bad-record-length", message: string): never {
    const error = new ProtocolError(reason, message);
    this.#failed = error;
    throw error;
  }

  /** Parse a complete header at b[at..at+8) and choose how to read the record's content. */
  #startRecord(b: Uint8Array, at: number): void {
    if (b[at] !== FCGI_VERSION_1) this.#fail("version", `FastCGI record version ${b[at]}, expected 1`);
    const type = b[at + 1]!;
    const requestId = (b[at + 2]! << 8) | b[at + 3]!;
    const length = (b[at + 4]! << 8) | b[at + 5]!;
    this.#type = type;
    this.#requestId = requestId;
    this.#padding = b[at + 6]!;
    this.#remaining = length;

    if (requestId === 0) {
      // Spec §3.3: request id 0 marks a management record, whatever its type.
      this.#kind = K_MANAGEMENT;
      this.#body = new Uint8Array(length);
      this.#state = S_BODY;
    } else {
      if (this.#isExpected !== undefined && !this.#isExpected(requestId)) {
        this.#fail("unexpected-request-id", `FastCGI record type ${type} for unexpected request id ${requestId}`);
      }
      if (type >= RecordType.PARAMS && type <= RecordType.DATA) {
        this.#kind = length === 0 ? K_STREAM_END : K_NONE;
        this.#state = S_STREAM;
      } else if (type === RecordType.BEGIN_REQUEST || type === RecordType.END_REQUEST) {
        // Spec §5.1 / §5.5: both bodies are exactly 8 bytes.
        if (length !== 8) this.#fail("bad-record-length", `FastCGI record type ${type} with ${length}-byte body`);
        this.#kind = type === RecordType.BEGIN_REQUEST ? K_BEGIN : K_END;
        this.#body = this.#fixed;
        this.#state = S_BODY;
      } else if (type === RecordType.ABORT_REQUEST) {
        // No body is defined (spec §5.4); any content is skipped.
        this.#kind = K_ABORT;
        this.#state = S_SKIP;
        this.#remaining += this.#padding;
        this.#padding = 0;
      } else {
        // Unknown type for a request (or a management type with a non-zero id): skip it whole.
        this.#kind = K_NONE;
        this.#state = S_SKIP;
        this.#remaining += this.#padding;
        this.#padding = 0;
      }
    }
    this.#bodyFill = 0;
    if (this.#remaining === 0) this.#contentDone();
  }

  #contentDone(): void {
    if (this.#padding === 0) this.#finish();
    else {
      this.#state = S_SKIP;
      this.#remaining = this.#padding;
      this.#padding = 0;
    }
  }

  /** The record has been read, padding included: back to headers, then report it. */
  #finish(): void {
    this.#state = S_HEADER;
    const kind = this.#kind;
    if (kind === K_NONE) return;
    this.#kind = K_NONE;
    const id = this.#requestId;
    const b = this.#body;
    this.#body = this.#fixed;
    switch (kind) {
      case K_STREAM_END:
        this.#h.streamEnd(this.#type, id);
        break;
      case K_BEGIN:
        this.#h.beginRequest(id, (b[0]! << 8) | b[1]!, b[2]!);
        break;
      case K_ABORT:
        this.#h.abortRequest(id);
        break;
      case K_END:
        this.#h.endRequest(id, ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, b[4]!);
        break;
      default:
        this.#h.management(this.#type, b);
    }
  }
}

// Every error the project throws, in one module any layer may import (it imports nothing). Two kinds:
// - GatewayError and its subclasses carry the HTTP status the client gets; src/gateway/error-response.ts is the
//   one place that turns them into a response.
// - The others carry a stable code (`code` or `reason`) for the layer above to map: a TransportError becomes a
//   503 or a 502, a ProtocolError a 502, a ParamTooLargeError a 431, a ConfigError or ListenError a one-line
//   start-up failure.

// --- what a request ends with ---

/** A failure with the HTTP status the gateway answers with. */
export abstract class GatewayError extends Error {
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    // An expected operational failure, reported by its message: a one-line stack keeps a runtime that prints
    // a failed response body's error (Deno's server does) to one line, and costs no stack capture.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Malformed client request: bad %-escape, bad header. */
export class BadRequest extends GatewayError { readonly status = 400; }
/** The request would make the backend run something it should not (`?`, NUL in SCRIPT_FILENAME). */
export class Forbidden extends GatewayError { readonly status = 403; }
/** No route, or an encoded slash in the path (Apache's AllowEncodedSlashes Off). */
export class NotFound extends GatewayError { readonly status = 404; }
/** Body over `max-body` (Apache's LimitRequestBody). */
export class PayloadTooLarge extends GatewayError { readonly status = 413; }
/** One CGI variable too large for a single FastCGI record. */
export class HeaderFieldsTooLarge extends GatewayError { readonly status = 431; }
/** The client went away; its status (499 in nginx's terms) is logged, never sent to anyone. */
export class ClientGone extends GatewayError { readonly status = 499; }
/** The backend broke the protocol, closed early or sent an invalid CGI head. */
export class BadGateway extends GatewayError { readonly status = 502; }
/** The backend cannot be reached, refused, or said it is overloaded. */
export class ServiceUnavailable extends GatewayError { readonly status = 503; }
/** The backend stayed silent past the io timeout. */
export class GatewayTimeout extends GatewayError { readonly status = 504; }

/** A site's try-files ended at `=CODE`: the status the configuration asks for. */
export class ConfiguredStatus extends GatewayError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A static file could not be read as it was checked (it changed or vanished while read). */
export class FileReadFailed extends GatewayError { readonly status = 500; }

/** The gateway stopped while the request was still running (its shutdown timeout ran out). */
export class CutAtShutdown extends GatewayError { readonly status = 503; }

/** Connecting to the backend failed: nothing was sent, so a balancer may safely try another member. */
export class ConnectFailed extends ServiceUnavailable {}

// --- sockets ---

/** Normalised socket error codes; anything unrecognised becomes EUNKNOWN. */
export type TransportErrorCode =
  | "ECONNREFUSED" | "ENOENT" | "ETIMEDOUT" | "ECONNRESET" | "EPIPE" | "EACCES"
  | "EHOSTUNREACH" | "ENETUNREACH" | "EADDRNOTAVAIL" | "ENOTFOUND" | "ECLOSED" | "EUNKNOWN";

/** A socket failed to open or failed while open (src/transport/ raises it, whatever the runtime said). */
export class TransportError extends Error {
  readonly code: TransportErrorCode;
  /** The runtime's own words where they say more than the code (workerd's reasons); shown instead of a hint. */
  readonly detail: string | undefined;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
    this.detail = options?.detail;
  }
}

/** The backend closed the connection (FIN or reset) while a request was waiting for records. */
export class ConnectionClosed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionClosed";
  }
}

/** The listening socket could not be opened; `code` is the errno-style code (EADDRINUSE, EACCES, ...). */
export class ListenError extends Error {
  readonly code: string;
  constructor(readonly address: string, code: string, reason: string, options?: { cause?: unknown }) {
    super(`${address}: ${reason}`, options);
    this.name = "ListenError";
    this.code = code;
  }
}

/** A supervised app could not be started (its socket, its command, or it never accepted); exit 2 at start-up. */
export class AppStartError extends Error {
  readonly app: string;
  constructor(app: string, reason: string, options?: { cause?: unknown }) {
    super(`app "${app}": ${reason}`, options);
    this.name = "AppStartError";
    this.app = app;
    this.stack = `AppStartError: ${this.message}`;
  }
}

// --- bytes from the backend ---

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
 * its own, so such a pair cannot be sent at all; the request is refused (431) rather than the pair dropped.
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

/** The backend sent a CGI response head we refuse to forward; the gateway answers 502 and logs `reason`. */
export class InvalidHeadError extends Error {
  readonly reason: string;
  /** Set when a size limit was passed. */
  readonly limit?: "line" | "head";
  constructor(reason: string, limit?: "line" | "head") {
    super(`invalid CGI response head: ${reason}`);
    this.name = "InvalidHeadError";
    this.reason = reason;
    if (limit !== undefined) this.limit = limit;
  }
}

// --- configuration ---

/** A configuration problem found at start-up; the message is `WHERE: PROBLEM`, `where` naming the flag or JSON path. */
export class ConfigError extends Error {
  readonly where: string;
  readonly problem: string;
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "ConfigError";
    this.where = where;
    this.problem = problem;
    // What the user must fix is the message; a stack would only bury it (`deno serve` prints uncaught errors).
    this.stack = `ConfigError: ${this.message}`;
  }

  /** `error` (an InvalidValue, or anything a parser threw) placed at `where`; a ConfigError stays as it is. */
  static at(where: string, error: unknown): ConfigError {
    if (error instanceof ConfigError) return error;
    return new ConfigError(where, error instanceof Error ? error.message : String(error));
  }
}

/**
 * A value that does not parse, said without its place (`"5x" is not a duration`): value and key parsers throw
 * it, and the caller that knows the flag or JSON path turns it into a ConfigError with ConfigError.at().
 */
export class InvalidValue extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = "InvalidValue";
  }

  /** The same problem under a nearer place: `key "timeout": "5x" is not a duration`. */
  within(place: string): InvalidValue {
    return new InvalidValue(`${place}: ${this.message}`);
  }
}

// Typed errors shared by every layer. Each carries the HTTP status the gateway answers with,
// so turning a failure into a response happens in one place (src/gateway/error-response.ts).

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
/** The backend broke the protocol, closed early or sent an invalid CGI head. */
export class BadGateway extends GatewayError { readonly status = 502; }
/** The backend cannot be reached, refused, or said it is overloaded. */
export class ServiceUnavailable extends GatewayError { readonly status = 503; }
/** The backend stayed silent past the io timeout. */
export class GatewayTimeout extends GatewayError { readonly status = 504; }

/** The gateway stopped while the request was still running (its shutdown timeout ran out). */
export class CutAtShutdown extends GatewayError { readonly status = 503; }

/** Connecting to the backend failed: nothing was sent, so a balancer may safely try another member. */
export class ConnectFailed extends ServiceUnavailable {}

// What the gateway reads of a request and what it answers, as plain shapes. A Fetch Request is a
// ProxyRequest, and fetch() wraps a ProxyResponse in a Fetch Response; a server adapter that writes the
// answer itself (Node's node:http) uses them directly and skips building Fetch objects, which on Node cost
// more than the rest of the request.
import type { HeaderReader } from "../cgi/header-reader.ts";
import type { AbortHook } from "../connection-info.ts";

export type { HeaderReader };


/** The parts of a Fetch Request the gateway reads; a Request is one. */
export interface ProxyRequest {
  readonly method: string;
  /** Absolute URL; only its path and query are used when the adapter gives the raw request-target. */
  readonly url: string;
  readonly headers: HeaderReader;
  readonly body: ReadableStream<Uint8Array> | null;
  /** Fires when the client goes away; used only when the connection info has no `clientGone` hook. */
  readonly signal?: AbortHook;
}

/** The gateway's answer. Headers are validated (token names, no control bytes), in the backend's order. */
export interface ProxyResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Bytes when the whole body is known (small responses, errors), a stream while it is still coming. */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

export function toResponse(r: ProxyResponse): Response {
  return new Response(r.body as BodyInit | null, {
    status: r.status,
    statusText: r.statusText,
    headers: r.headers as Array<[string, string]>,
  });
}

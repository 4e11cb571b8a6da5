// What serve() takes and gives: the shapes every runtime's server adapter shares.
import type { ConnectionInfo } from "../connection-info.ts";
import type { ProxyRequest, ProxyResponse } from "../gateway/messages.ts";

/** What every runtime's server adapter serves. */
export type FetchHandler = (request: Request, info: ConnectionInfo) => Promise<Response>;

/** A gateway: an adapter that writes the plain answer itself (node:http's does) skips the Fetch objects. */
export interface Responder {
  fetch: FetchHandler;
  respond(request: ProxyRequest, info: ConnectionInfo, options?: { readonly mergeChunks?: boolean; readonly quietBodyErrors?: boolean }): Promise<ProxyResponse>;
}

/** A fetch handler, or a gateway itself (the faster choice on Node). */
export type ServeTarget = FetchHandler | Responder;

/** Where serve() listens. */
export interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** A listening server, as serve() resolves it. */
export interface RunningServer {
  /** The port actually listened on. */
  readonly port: number;
  readonly host: string;
  /**
   * Stops accepting and closes idle connections; lets in-flight requests finish for up to `graceMs` (default
   * 10 000). Then `onGraceOver` runs (the CLI passes `gateway.close`, which cuts the gateway's requests, each
   * logged once), and connections still open a second later are cut. Resolves once every connection is closed
   * (on Deno, whose server cannot cut a connection, by that second at the latest).
   */
  close(graceMs?: number, onGraceOver?: () => unknown): Promise<void>;
}

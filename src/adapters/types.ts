import type { ConnectionInfo } from "../connection-info.ts";
import type { ProxyRequest, ProxyResponse } from "../gateway/messages.ts";

/** What every runtime's server adapter serves. */
export type FetchHandler = (request: Request, info: ConnectionInfo) => Promise<Response>;

/** A gateway: adapters that can write its plain answer themselves (Node) skip the Fetch objects. */
export interface Responder {
  fetch: FetchHandler;
  respond(request: ProxyRequest, info: ConnectionInfo, options?: { readonly mergeChunks?: boolean }): Promise<ProxyResponse>;
}

/** A fetch handler, or a gateway itself (the faster choice on Node). */
export type ServeTarget = FetchHandler | Responder;

export interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface RunningServer {
  /** The port actually listened on. */
  readonly port: number;
  readonly host: string;
  /** Stop accepting, let in-flight requests finish for up to `graceMs`, then cut the rest. */
  close(graceMs?: number): Promise<void>;
}

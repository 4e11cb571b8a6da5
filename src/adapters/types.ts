import type { ConnectionInfo } from "../connection-info.ts";

/** What every runtime's server adapter serves. */
export type FetchHandler = (request: Request, info: ConnectionInfo) => Promise<Response>;

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

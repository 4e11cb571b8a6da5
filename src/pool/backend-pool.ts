// Connections to one backend address. Issue A's gateway opens one connection per request (no FCGI_KEEP_CONN);
// reuse, limits, the wait queue and stale-connection retry belong to issue B and grow here.
import type { Connector, Endpoint } from "../transport/types.ts";
import { BackendConnection } from "./backend-connection.ts";

export interface PoolStats {
  readonly open: number;
  readonly busy: number;
  readonly idle: number;
  readonly connects: number;
  readonly connectFailures: number;
}

export class BackendPool {
  readonly endpoint: Endpoint;
  readonly #connect: () => Promise<Connector>;
  readonly #open = new Set<BackendConnection>();
  #connects = 0;
  #connectFailures = 0;

  constructor(endpoint: Endpoint, connector: () => Promise<Connector>) {
    this.endpoint = endpoint;
    this.#connect = connector;
  }

  /** Whether BEGIN_REQUEST should carry FCGI_KEEP_CONN. */
  get keepConn(): boolean {
    return false;
  }

  /** A connection for one request. Rejects with the transport's error (the gateway maps it to 503). */
  async acquire(connectTimeoutMs: number): Promise<BackendConnection> {
    const connector = await this.#connect();
    let conn;
    try {
      conn = await connector(this.endpoint, { timeoutMs: connectTimeoutMs });
    } catch (e) {
      this.#connectFailures++;
      throw e;
    }
    this.#connects++;
    const bc = new BackendConnection(conn);
    this.#open.add(bc);
    return bc;
  }

  /** The request is over; without reuse the connection simply closes. */
  release(bc: BackendConnection): void {
    this.#open.delete(bc);
    bc.close();
  }

  close(): void {
    for (const bc of this.#open) bc.close();
    this.#open.clear();
  }

  stats(): PoolStats {
    return { open: this.#open.size, busy: this.#open.size, idle: 0, connects: this.#connects, connectFailures: this.#connectFailures };
  }
}

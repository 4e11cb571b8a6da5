// Connections to one backend address, per process: reuse (FCGI_KEEP_CONN), a bound on idle connections
// (`smax`) and on open ones (`max`), a FIFO wait queue (`acquire`), idle expiry (`ttl`), the background
// FCGI_GET_VALUES probe, and multiplexing when the application reports FCGI_MPXS_CONNS=1.
//
// Why the idle bound matters: a PHP-FPM child serves one connection until it closes, so idle pooled
// connections pin children; keep smax × gateway processes below pm.max_children.
import { ServiceUnavailable } from "../errors.ts";
import type { Connector, Endpoint } from "../transport/types.ts";
import { unrefTimer } from "../transport/timers.ts";
import { BackendConnection } from "./backend-connection.ts";
import { queryValues, type Capabilities } from "./get-values.ts";

export interface PoolOptions {
  /** Keep connections open between requests (FCGI_KEEP_CONN). */
  readonly reuse: boolean;
  /** Connections open at once; further requests wait. */
  readonly max: number;
  /** Idle connections kept; surplus ones close when released. */
  readonly smax: number;
  /** Idle connections older than this close (ms). */
  readonly ttlMs: number;
  /** Longest wait for a connection when `max` are open (ms) → 503. */
  readonly acquireMs: number;
  /** Requests per connection when the application multiplexes. */
  readonly mpxMax: number;
  /** After a failed GET_VALUES probe, wait this long before probing again (ms). */
  readonly retryMs: number;
  /** Send the FCGI_GET_VALUES probe (off with disablereuse and on Workers). */
  readonly probe: boolean;
}

export const POOL_DEFAULTS: PoolOptions = {
  reuse: true,
  max: 64,
  smax: 4, // below PHP-FPM's default pm.max_children of 5
  ttlMs: 5_000,
  acquireMs: 5_000,
  mpxMax: 100,
  retryMs: 60_000,
  probe: true,
};

/** A connection and a request id on it, for one request. */
export interface Lease {
  readonly conn: BackendConnection;
  readonly requestId: number;
  /** The connection carried a request before: a failure before any response byte may be a stale connection. */
  readonly reused: boolean;
}

export interface PoolStats {
  readonly open: number;
  readonly busy: number;
  readonly idle: number;
  readonly waiting: number;
  readonly connects: number;
  readonly connectFailures: number;
  readonly reuses: number;
  readonly multiplexing: boolean;
}

/** What a waiter is woken with: a connection handed over, or a free slot to open its own connection in. */
const OPEN_SLOT = Symbol("open-slot");

interface Waiter {
  readonly resolve: (lease: Lease | typeof OPEN_SLOT) => void;
  readonly reject: (e: Error) => void;
  readonly connectTimeoutMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class BackendPool {
  readonly endpoint: Endpoint;
  readonly options: PoolOptions;
  readonly #connector: () => Promise<Connector>;
  readonly #warn: (message: string) => void;
  /** Every open (or opening) connection. */
  readonly #all = new Set<BackendConnection>();
  /** Idle connections, most recently used last. */
  readonly #idle: BackendConnection[] = [];
  readonly #waiters: Waiter[] = [];
  #connecting = 0;
  #connects = 0;
  #connectFailures = 0;
  #reuses = 0;
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #capabilities: Capabilities | undefined;
  #probe: "never" | "running" | "done" = "never";
  #probeFailedAt = 0;
  #closed = false;

  constructor(endpoint: Endpoint, connector: () => Promise<Connector>, options: PoolOptions = POOL_DEFAULTS, warn: (m: string) => void = () => {}) {
    this.endpoint = endpoint;
    this.options = options;
    this.#connector = connector;
    this.#warn = warn;
  }

  /** Whether BEGIN_REQUEST should carry FCGI_KEEP_CONN. */
  get keepConn(): boolean {
    return this.options.reuse;
  }

  get capabilities(): Capabilities | undefined {
    return this.#capabilities;
  }

  /** The application said FCGI_MPXS_CONNS=1 and reuse is on: requests share connections. */
  get multiplexing(): boolean {
    return this.#multiplexing;
  }

  get #multiplexing(): boolean {
    return this.options.reuse && this.#capabilities?.mpxsConns === true && this.options.mpxMax > 1;
  }

  /** An open connection with room for one more request, without waiting; undefined when acquire() must. */
  acquireNow(): Lease | undefined {
    if (this.#closed) return undefined;
    this.#maybeProbe();
    return this.#takeOpen();
  }

  /** A connection (and request id) for one request. Rejects with the transport's error, or 503 after `acquire`. */
  acquire(connectTimeoutMs: number, fresh = false): Promise<Lease> {
    if (this.#closed) return Promise.reject(new ServiceUnavailable("gateway is shutting down"));
    this.#maybeProbe();
    if (!fresh) {
      const lease = this.#takeOpen();
      if (lease) return Promise.resolve(lease);
    }
    // Multiplexing: connections being opened will take several requests each; wait for them rather than
    // opening one connection per concurrent request.
    if (this.#multiplexing && !fresh && this.#waiters.length < this.#connecting * (this.options.mpxMax - 1)) {
      return this.#wait(connectTimeoutMs);
    }
    if (this.#all.size + this.#connecting < this.options.max) return this.#open(connectTimeoutMs);
    if (fresh && this.#idle.length > 0) {
      // A retry on a fresh connection at the limit: make room by dropping the oldest idle one.
      this.#idle.shift()!.close();
      return this.#open(connectTimeoutMs);
    }
    return this.#wait(connectTimeoutMs);
  }

  /**
   * Joins the FIFO queue: served when a connection frees up, or refused after `acquire` ms. The woken waiter
   * clears its own timer and opens its own connection: on Workers a socket belongs to the request that opened
   * it, and a timer to the request that set it.
   */
  #wait(connectTimeoutMs: number): Promise<Lease> {
    let waiter!: Waiter;
    const woken = new Promise<Lease | typeof OPEN_SLOT>((resolve, reject) => {
      waiter = { resolve, reject, connectTimeoutMs, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return; // already woken
        this.#waiters.splice(i, 1);
        reject(new ServiceUnavailable(`no connection to ${label(this.endpoint)} within ${this.options.acquireMs} ms (max=${this.options.max} busy)`));
      }, this.options.acquireMs);
      this.#waiters.push(waiter);
    });
    return woken.then((got) => {
      clearTimeout(waiter.timer);
      return got === OPEN_SLOT ? this.#open(connectTimeoutMs, true) : got;
    });
  }

  /**
   * The request is over. `ok`: it ended with END_REQUEST and the connection may carry another one. Anything
   * else closes it (never reuse a connection whose state is unknown).
   */
  release(lease: Lease, ok: boolean): void {
    const conn = lease.conn;
    conn.unbind(lease.requestId);
    if (this.#multiplexing && conn.healthy) {
      if (ok || conn.active > 0) this.#afterMpxRelease(conn);
      else conn.close();
      return;
    }
    if (!ok || !this.options.reuse || !conn.reusable || this.#closed) {
      conn.close();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#reuses++;
      waiter.resolve({ conn, requestId: conn.reserveRequestId(), reused: true });
      return;
    }
    if (this.#idle.length >= this.options.smax) {
      conn.close();
      return;
    }
    conn.idleSince = Date.now();
    this.#idle.push(conn);
    this.#armSweep();
  }

  close(): void {
    this.#closed = true;
    if (this.#sweep !== undefined) clearTimeout(this.#sweep);
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new ServiceUnavailable("gateway is shutting down"));
    }
    for (const c of [...this.#all]) c.close();
    this.#idle.length = 0;
  }

  stats(): PoolStats {
    const idle = this.#multiplexing ? [...this.#all].filter((c) => c.active === 0).length : this.#idle.length;
    return {
      open: this.#all.size,
      busy: this.#all.size - idle,
      idle,
      waiting: this.#waiters.length,
      connects: this.#connects,
      connectFailures: this.#connectFailures,
      reuses: this.#reuses,
      multiplexing: this.#multiplexing,
    };
  }

  // --- internals ---

  /** An open connection that can take the request now, or undefined. */
  #takeOpen(): Lease | undefined {
    if (this.#multiplexing) {
      // Fill the busiest connection that has room: fewer connections is the point of multiplexing.
      let best: BackendConnection | undefined;
      for (const c of this.#all) {
        if (!c.healthy || c.active >= this.options.mpxMax) continue;
        if (!best || c.active > best.active) best = c;
      }
      if (!best) return undefined;
      this.#reuses++;
      return { conn: best, requestId: best.reserveRequestId(), reused: best.served > 0 };
    }
    const now = Date.now();
    while (this.#idle.length > 0) {
      const conn = this.#idle.pop()!; // most recently used first
      if (conn.reusable && now - conn.idleSince < this.options.ttlMs) {
        this.#reuses++;
        return { conn, requestId: conn.reserveRequestId(), reused: true };
      }
      conn.close();
    }
    return undefined;
  }

  /** `reserved`: the slot was already counted in #connecting for a woken waiter. */
  async #open(connectTimeoutMs: number, reserved = false): Promise<Lease> {
    if (!reserved) this.#connecting++;
    let conn: BackendConnection;
    try {
      const connector = await this.#connector();
      conn = new BackendConnection(await connector(this.endpoint, { timeoutMs: connectTimeoutMs }));
    } catch (e) {
      this.#connectFailures++;
      throw e;
    } finally {
      this.#connecting--;
    }
    this.#connects++;
    this.#all.add(conn);
    conn.onClose = () => this.#forget(conn);
    conn.onIdFreed = () => this.#afterMpxRelease(conn);
    if (this.#closed) {
      conn.close();
      throw new ServiceUnavailable("gateway is shutting down");
    }
    const lease = { conn, requestId: conn.reserveRequestId(), reused: false };
    if (this.#multiplexing) queueMicrotask(() => this.#serveWaiter());
    return lease;
  }

  /** A connection closed: drop it, and let a waiter open a new one in its place. */
  #forget(conn: BackendConnection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    this.#serveWaiter();
  }

  #serveWaiter(): void {
    if (this.#closed || this.#waiters.length === 0) return;
    if (this.#multiplexing) {
      for (let lease = this.#takeOpen(); lease; lease = this.#waiters.length > 0 ? this.#takeOpen() : undefined) {
        this.#waiters.shift()!.resolve(lease);
      }
      // Connections still opening will serve the rest.
      if (this.#waiters.length <= this.#connecting * (this.options.mpxMax - 1)) return;
    }
    if (this.#all.size + this.#connecting >= this.options.max) return;
    this.#connecting++; // the slot is the woken waiter's
    this.#waiters.shift()!.resolve(OPEN_SLOT);
  }

  #afterMpxRelease(conn: BackendConnection): void {
    if (!conn.healthy) return;
    this.#serveWaiter();
    if (conn.active > 0) return;
    // An idle multiplexed connection: keep up to smax of them, expiring after ttl.
    const idle = [...this.#all].filter((c) => c.active === 0);
    if (idle.length > this.options.smax) {
      conn.close();
      return;
    }
    conn.idleSince = Date.now();
    if (!this.#idle.includes(conn)) this.#idle.push(conn);
    this.#armSweep();
  }

  /** Closes connections idle for `ttl`; runs only while some are idle, and never keeps the process alive. */
  #armSweep(): void {
    if (this.#sweep !== undefined || this.#closed) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      const now = Date.now();
      for (const conn of [...this.#idle]) {
        if (conn.active > 0) {
          this.#idle.splice(this.#idle.indexOf(conn), 1); // a multiplexed one back in use
        } else if (now - conn.idleSince >= this.options.ttlMs) {
          conn.close();
        }
      }
      if (this.#idle.length > 0) this.#armSweep();
    }, Math.max(50, Math.min(this.options.ttlMs, 1000)));
    unrefTimer(this.#sweep);
  }

  /** FCGI_GET_VALUES once per backend, in the background on first use; no request waits for it. */
  #maybeProbe(): void {
    if (!this.options.probe || !this.options.reuse || this.#probe === "running") return;
    if (this.#probe === "done" && (this.#capabilities !== undefined || Date.now() - this.#probeFailedAt < this.options.retryMs)) return;
    this.#probe = "running";
    this.#connector()
      .then((connector) => queryValues(connector, this.endpoint, 1000))
      .then(
        (caps) => {
          this.#probe = "done";
          if (!caps) {
            this.#probeFailedAt = Date.now(); // "unknown": not cached, asked again after `retry`
            return;
          }
          this.#capabilities = caps;
          if (caps.maxConns !== undefined && caps.maxConns > 0 && this.options.max > caps.maxConns) {
            this.#warn(`backend ${label(this.endpoint)} reports FCGI_MAX_CONNS=${caps.maxConns}, below max=${this.options.max} (libfcgi applications always report 1)`);
          }
        },
        () => {
          this.#probe = "done";
          this.#probeFailedAt = Date.now();
        },
      );
  }
}

function label(e: Endpoint): string {
  return e.kind === "tcp" ? `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}` : `unix:${e.path}`;
}

// BackendPool against in-memory connections: reuse, the limits and the FIFO queue, idle expiry, connect
// failures, fresh connections for requests that may not be retried, and close(). No sockets; every wait is
// bounded well under a second.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BackendPool, POOL_DEFAULTS, type Lease, type PoolOptions } from "../../src/pool/backend-pool.ts";
import type { ChannelHandlers } from "../../src/pool/backend-connection.ts";
import { endRequest, getValuesResult } from "../../src/protocol/encode.ts";
import { RecordType } from "../../src/protocol/constants.ts";
import { ServiceUnavailable, TransportError } from "../../src/errors.ts";
import type { UnrefTimer } from "../../src/platform/types.ts";
import type { Endpoint } from "../../src/transport/types.ts";
import { MemoryConnector, until, within, type MemoryBackend } from "../helpers/memory-conn.ts";

const ENDPOINT: Endpoint = { kind: "tcp", host: "127.0.0.1", port: 9000 };
const unrefQuietly: UnrefTimer = (t) => (t as { unref?: () => void }).unref?.();

let pools: BackendPool[] = [];
let connectors: MemoryConnector[] = [];

/**
 * The one place a pool is built: no GET_VALUES probe unless a test
 * asks for one, so the connections counted are the requests' own.
 */
function makePool(connector: MemoryConnector, options: Partial<PoolOptions> = {}, unrefTimer: UnrefTimer = unrefQuietly): BackendPool {
  const pool = new BackendPool(ENDPOINT, { connector: connector.connector, unrefTimer }, { ...POOL_DEFAULTS, probe: false, ...options });
  pools.push(pool);
  return pool;
}

function memoryConnector(): MemoryConnector {
  const c = new MemoryConnector();
  connectors.push(c);
  return c;
}

afterEach(() => {
  for (const p of pools) p.close();
  for (const c of connectors) c.dispose();
  pools = [];
  connectors = [];
});

const quiet: ChannelHandlers = { stdout() {}, stderr() {}, end() {}, failed() {}, responding: false };

/** Plays one request to its END_REQUEST on the lease's connection (as the exchange and the backend would). */
function complete(lease: Lease, backend: MemoryBackend): void {
  lease.conn.bind(lease.requestId, quiet);
  backend.send(endRequest(lease.requestId, 0, 0));
}

/** Records the order in which promises settle. */
function track<T>(order: string[], name: string, p: Promise<T>): Promise<T> {
  return p.then(
    (v) => { order.push(name); return v; },
    (e) => { order.push(`${name}!`); throw e; },
  );
}

describe("BackendPool: reuse", () => {
  it("an idle connection goes back out through acquireNow, marked reused", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    assert.equal(pool.acquireNow(), undefined, "nothing open yet");
    assert.equal(mc.attempts.length, 0, "acquireNow never connects");
    const l1 = await within(pool.acquire(100));
    assert.equal(l1.reused, false);
    assert.equal(mc.attempts[0]!.options.timeoutMs, 100, "the connect timeout reaches the connector");
    assert.deepEqual([pool.stats().open, pool.stats().busy, pool.stats().connects], [1, 1, 1]);
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
    const l2 = pool.acquireNow();
    assert.ok(l2, "the idle connection is handed out");
    assert.equal(l2.conn, l1.conn);
    assert.equal(l2.reused, true);
    assert.equal(pool.stats().reuses, 1);
    assert.equal(pool.stats().idle, 0);
    assert.equal(mc.attempts.length, 1);
  });

  it("acquire() right after a release waits for that connection instead of opening another", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const l1 = await within(pool.acquire(100));
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    const l2 = await within(pool.acquire(100));
    assert.equal(l2.conn, l1.conn);
    assert.equal(l2.reused, true);
    assert.equal(mc.attempts.length, 1);
  });

  it("a FIN right behind END_REQUEST: the connection is dropped rather than reused", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const l1 = await within(pool.acquire(100));
    const b1 = mc.backends[0]!;
    complete(l1, b1);
    b1.end(); // PHP-FPM's pm.max_requests: END_REQUEST, then FIN in the same I/O turn
    pool.release(l1, true);
    const l2 = await within(pool.acquire(100));
    assert.notEqual(l2.conn, l1.conn);
    assert.equal(l2.reused, false);
    assert.equal(pool.stats().connects, 2);
    assert.equal(b1.closed, true);
  });

  it("release(lease, false) closes the connection", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const l1 = await within(pool.acquire(100));
    pool.release(l1, false);
    assert.equal(mc.backends[0]!.closed, true);
    await until(() => pool.stats().open === 0, 300, "the pool to forget the connection");
    assert.equal(pool.acquireNow(), undefined);
  });

  it("release(lease, true) of a connection mid-record closes it", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const l1 = await within(pool.acquire(100));
    l1.conn.bind(l1.requestId, quiet);
    mc.backends[0]!.send(endRequest(l1.requestId, 0, 0));
    mc.backends[0]!.send(Uint8Array.of(1, RecordType.STDOUT, 0)); // a stray partial header
    pool.release(l1, true);
    await until(() => mc.backends[0]!.closed, 300, "the connection to close");
    assert.equal(pool.stats().idle, 0);
  });

  it("reuse=false: every connection closes on release", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { reuse: false });
    assert.equal(pool.keepConn, false);
    const l1 = await within(pool.acquire(100));
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    assert.equal(mc.backends[0]!.closed, true);
    const l2 = await within(pool.acquire(100));
    assert.notEqual(l2.conn, l1.conn);
    assert.equal(pool.stats().reuses, 0);
  });

  it("keeps at most smax idle connections", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { smax: 1 });
    const l1 = await within(pool.acquire(100));
    const l2 = await within(pool.acquire(100));
    complete(l1, mc.backends[0]!);
    complete(l2, mc.backends[1]!);
    pool.release(l1, true);
    pool.release(l2, true);
    await until(() => mc.open.length === 1, 300, "the surplus connection to close");
    await until(() => pool.stats().open === 1, 300, "the pool to count one");
    assert.equal(pool.stats().idle, 1);
  });
});

describe("BackendPool: max and the wait queue", () => {
  it("at max, requests wait in FIFO order for released connections or freed slots", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 2, acquireMs: 1000 });
    const l1 = await within(pool.acquire(100));
    const l2 = await within(pool.acquire(100));
    const order: string[] = [];
    const p3 = track(order, "3", pool.acquire(100));
    const p4 = track(order, "4", pool.acquire(100));
    assert.equal(pool.stats().waiting, 2);
    assert.equal(mc.attempts.length, 2, "no connection beyond max");
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    const l3 = await within(p3);
    assert.equal(l3.conn, l1.conn, "the first waiter gets the released connection");
    assert.equal(l3.reused, true);
    assert.deepEqual(order, ["3"]);
    assert.equal(pool.stats().waiting, 1);
    pool.release(l2, false); // closing frees a slot: the next waiter opens its own connection
    const l4 = await within(p4);
    assert.deepEqual(order, ["3", "4"]);
    assert.notEqual(l4.conn, l2.conn);
    assert.equal(l4.reused, false);
    assert.equal(pool.stats().connects, 3);
    assert.equal(pool.stats().open, 2);
    assert.equal(pool.stats().waiting, 0);
  });

  it("a request that waits longer than acquireMs gets a 503 ServiceUnavailable", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 1, acquireMs: 40 });
    const l1 = await within(pool.acquire(100));
    const t0 = Date.now();
    await assert.rejects(within(pool.acquire(100)), (e: unknown) => {
      assert.ok(e instanceof ServiceUnavailable, `got ${e}`);
      assert.equal(e.status, 503);
      assert.match(e.message, /within 40 ms/);
      return true;
    });
    const waited = Date.now() - t0;
    assert.ok(waited >= 30 && waited < 300, `waited ${waited} ms`);
    assert.equal(pool.stats().waiting, 0);
    // The timed-out waiter is gone: the released connection goes idle instead of to it.
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
  });

  it("a woken waiter whose own connect fails gets the transport error, and frees its slot", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 1, acquireMs: 1000 });
    const l1 = await within(pool.acquire(100));
    const p2 = pool.acquire(100);
    mc.refuseNext();
    pool.release(l1, false);
    await assert.rejects(within(p2), (e: unknown) => e instanceof TransportError && e.code === "ECONNREFUSED");
    assert.equal(pool.stats().connectFailures, 1);
    const l3 = await within(pool.acquire(100));
    assert.equal(l3.reused, false, "the slot was given back");
  });
});

describe("BackendPool: a failed connect frees its slot for the queue", () => {
  it("the next queued request is woken to connect itself, not left to its acquire timeout", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 1, acquireMs: 2000 });
    const l1 = await within(pool.acquire(100));
    const p2 = pool.acquire(100);
    const p3 = pool.acquire(100);
    mc.refuseNext();
    pool.release(l1, false);
    await assert.rejects(within(p2), (e: unknown) => e instanceof TransportError && e.code === "ECONNREFUSED");
    // The backend is back: the second waiter connects well before its 2 s acquire timeout.
    const l3 = await within(p3, 300);
    assert.equal(l3.reused, false);
    assert.equal(pool.stats().waiting, 0);
  });
});

describe("BackendPool: idle expiry", () => {
  it("the sweep closes connections idle for ttl, on an unref'd timer", async () => {
    const mc = memoryConnector();
    const unrefd: unknown[] = [];
    const pool = makePool(mc, { ttlMs: 50 }, (t) => { unrefd.push(t); unrefQuietly(t); });
    const l1 = await within(pool.acquire(100));
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
    assert.equal(unrefd.length, 1, "the sweep timer does not hold the process open");
    assert.equal(mc.backends[0]!.closed, false);
    await until(() => mc.backends[0]!.closed, 300, "the sweep to close the idle connection");
    await until(() => pool.stats().open === 0, 300, "the pool to forget it");
    assert.equal(pool.stats().idle, 0);
  });

  it("an idle connection past its ttl is closed instead of handed out", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { ttlMs: 1000 });
    const l1 = await within(pool.acquire(100));
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
    const realNow = Date.now;
    Date.now = () => realNow() + 2000;
    try {
      assert.equal(pool.acquireNow(), undefined);
    } finally {
      Date.now = realNow;
    }
    assert.equal(mc.backends[0]!.closed, true);
    assert.equal(pool.stats().reuses, 0);
  });
});

describe("BackendPool: connect failures", () => {
  it("a refused connect rejects with the TransportError and is counted", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 1 });
    mc.refuseNext();
    await assert.rejects(within(pool.acquire(100)), (e: unknown) => e instanceof TransportError && e.code === "ECONNREFUSED");
    const s = pool.stats();
    assert.deepEqual([s.connectFailures, s.connects, s.open], [1, 0, 0]);
    // The failed attempt does not hold the only slot.
    const l = await within(pool.acquire(100));
    assert.equal(l.reused, false);
    assert.deepEqual([pool.stats().connectFailures, pool.stats().connects], [1, 1]);
  });

  it("a hanging connect rejects with ETIMEDOUT after the connect timeout", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    mc.hangNext();
    const t0 = Date.now();
    await assert.rejects(within(pool.acquire(30)), (e: unknown) => e instanceof TransportError && e.code === "ETIMEDOUT");
    const waited = Date.now() - t0;
    assert.ok(waited >= 20 && waited < 300, `waited ${waited} ms`);
    assert.equal(pool.stats().connectFailures, 1);
    assert.equal(pool.stats().open, 0);
  });
});

describe("BackendPool: fresh connections", () => {
  for (const reason of ["unsafe", "retry"] as const) {
    it(`acquire(…, "${reason}") opens a new connection and closes the idle one`, async () => {
      const mc = memoryConnector();
      const pool = makePool(mc);
      const l1 = await within(pool.acquire(100));
      complete(l1, mc.backends[0]!);
      pool.release(l1, true);
      await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
      const l2 = await within(pool.acquire(100, reason));
      assert.notEqual(l2.conn, l1.conn);
      assert.equal(l2.reused, false);
      assert.equal(mc.backends[0]!.closed, true, "the idle connection made way");
      const s = pool.stats();
      assert.equal(s.connects, 2);
      assert.equal(s.reuses, 0);
      assert.equal(reason === "unsafe" ? s.unsafeFresh : s.retries, 1);
      assert.equal(reason === "unsafe" ? s.retries : s.unsafeFresh, 0);
    });
  }

  it("a fresh waiter at max is never handed a released connection", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 1, acquireMs: 1000 });
    const l1 = await within(pool.acquire(100));
    const p2 = pool.acquire(100, "unsafe");
    assert.equal(pool.stats().waiting, 1);
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    const l2 = await within(p2);
    assert.notEqual(l2.conn, l1.conn);
    assert.equal(l2.reused, false);
    assert.equal(mc.backends[0]!.closed, true);
    assert.equal(pool.stats().reuses, 0);
  });
});

describe("BackendPool: starvation", () => {
  it("a starving request makes idle connections close, and released ones too", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const l1 = await within(pool.acquire(100));
    const l2 = await within(pool.acquire(100));
    complete(l1, mc.backends[0]!);
    pool.release(l1, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
    const waiter = { responding: false };
    pool.starving(waiter, 1500);
    assert.equal(mc.backends[0]!.closed, true);
    complete(l2, mc.backends[1]!);
    pool.release(l2, true);
    await until(() => mc.backends[1]!.closed, 300, "the released connection to close");
    assert.equal(pool.stats().starveCloses, 2);
    pool.starved(waiter, false);
    const l3 = await within(pool.acquire(100));
    complete(l3, mc.backends[2]!);
    pool.release(l3, true);
    await until(() => pool.stats().idle === 1, 300, "no longer starving: connections idle again");
  });
});

describe("BackendPool: FCGI_GET_VALUES", () => {
  /** Starts a pool with the probe on and answers the probe with `values`. */
  async function probed(values: Array<[string, string]>, options: Partial<PoolOptions> = {}) {
    const mc = memoryConnector();
    const pool = makePool(mc, { probe: true, ...options });
    const first = pool.acquire(100);
    const probe = mc.backends[0]!;
    await until(() => probe.records().some((r) => r.type === RecordType.GET_VALUES), 300, "the probe");
    assert.equal(probe.gatewayShut, true, "the probe half-closes after asking");
    probe.send(getValuesResult(values));
    await until(() => pool.capabilities !== undefined, 300, "the answer to be read");
    assert.equal(probe.closed, true, "the probe's connection is closed after the answer");
    return { mc, pool, first: await within(first) };
  }

  it("FCGI_MPXS_CONNS=1: requests share one connection with distinct ids", async () => {
    const { mc, pool, first } = await probed([["FCGI_MPXS_CONNS", "1"]]);
    assert.equal(pool.multiplexing, true);
    const second = pool.acquireNow();
    assert.ok(second);
    assert.equal(second.conn, first.conn);
    assert.notEqual(second.requestId, first.requestId);
    pool.release(second, false); // a multiplexed connection stays for the others
    assert.equal(first.conn.healthy, true);
    assert.equal(pool.stats().multiplexing, true);
    assert.equal(mc.attempts.length, 2, "the probe's and one shared connection");
  });

  it("FCGI_MAX_CONNS lowers the pool's max unless max was set", async () => {
    const { pool } = await probed([["FCGI_MAX_CONNS", "3"]]);
    assert.equal(pool.stats().max, 3);
    const set = await probed([["FCGI_MAX_CONNS", "3"]], { max: 10, maxSet: true });
    assert.equal(set.pool.stats().max, 10);
  });
});

describe("BackendPool: close", () => {
  it("close() ends every connection, refuses waiters and every later acquire", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc, { max: 2, acquireMs: 1000 });
    const busy = await within(pool.acquire(100));
    const l2 = await within(pool.acquire(100));
    complete(l2, mc.backends[1]!);
    pool.release(l2, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
    const busy2 = await within(pool.acquire(100)); // takes the idle one back
    assert.equal(busy2.conn, l2.conn);
    const waiting = pool.acquire(100);
    assert.equal(pool.stats().waiting, 1);
    pool.close();
    await assert.rejects(within(waiting), (e: unknown) => e instanceof ServiceUnavailable && e.status === 503);
    assert.equal(mc.open.length, 0, "every connection is closed");
    assert.equal(busy.conn.healthy, false);
    await assert.rejects(within(pool.acquire(100)), (e: unknown) => e instanceof ServiceUnavailable);
    assert.equal(pool.acquireNow(), undefined);
    await until(() => pool.stats().open === 0, 300, "the pool to forget its connections");
  });

  it("close() also ends an idle connection and a release waiting for its I/O turn", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const idle = await within(pool.acquire(100));
    const pending = await within(pool.acquire(100));
    complete(idle, mc.backends[0]!);
    pool.release(idle, true);
    await until(() => pool.stats().idle === 1, 300, "the connection to become idle");
    complete(pending, mc.backends[1]!);
    pool.release(pending, true); // returns to the pool only after this I/O turn
    pool.close();
    assert.equal(mc.backends[0]!.closed, true);
    assert.equal(mc.backends[1]!.closed, true);
  });

  it("a connection that finishes opening after close() is closed and refused", async () => {
    const mc = memoryConnector();
    const pool = makePool(mc);
    const p = pool.acquire(100);
    pool.close();
    await assert.rejects(within(p), (e: unknown) => e instanceof ServiceUnavailable);
    assert.equal(mc.backends.length, 1);
    assert.equal(mc.backends[0]!.closed, true);
  });
});

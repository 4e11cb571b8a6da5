// The connection pool against the project's own backends, counting at the backend: reuse, limits, the wait
// queue, idle expiry, stale connections, FCGI_GET_VALUES and multiplexing.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { scriptedHandler } from "../backends/scripted.ts";
import { sleep, startBackend, testGateway, waitFor } from "../helpers/harness.ts";
import type { Conn } from "../../src/transport/types.ts";
import { streamRecords } from "../../src/protocol/encode.ts";
import { RecordType } from "../../src/protocol/constants.ts";
import type { ResponderHandler } from "../../src/fcgi-server/server.ts";

/** A handler that counts requests in flight at the backend and remembers the peak. */
function counting(inner: ResponderHandler) {
  const state = { inFlight: 0, peak: 0, handler: undefined as unknown as ResponderHandler };
  state.handler = async (req, reply) => {
    state.inFlight++;
    state.peak = Math.max(state.peak, state.inFlight);
    try {
      await inner(req, { ...reply, end: (a, p) => { state.inFlight--; reply.end(a, p); }, conn: reply.conn, stdout: reply.stdout, stderr: reply.stderr });
    } catch (e) {
      state.inFlight--;
      throw e;
    }
  };
  return state;
}

async function json(res: Response): Promise<EchoBody> {
  assert.equal(res.status, 200);
  return (await res.json()) as EchoBody;
}

describe("connection reuse", () => {
  it("50 sequential requests use one backend connection (plus the GET_VALUES probe's)", async () => {
    const backend = await startBackend(echoHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      for (let i = 0; i < 50; i++) await json(await gw.request(`/x.php?i=${i}`));
      await waitFor(() => backend.getValues === 1, 2000, "the GET_VALUES probe");
      assert.equal(backend.accepted, 2);
      const pool = gw.gateway.stats().routes[0]!.pool;
      assert.equal(pool.connects, 1);
      assert.equal(pool.reuses, 49);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("disablereuse=on: one connection per request, KEEP_CONN clear, no probe", async () => {
    const backend = await startBackend(echoHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ disablereuse=on`]);
    try {
      for (let i = 0; i < 50; i++) await json(await gw.request(`/x.php?i=${i}`));
      assert.equal(backend.accepted, 50);
      assert.equal(backend.getValues, 0);
      await waitFor(() => backend.connections === 0, 2000, "connections to close");
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("max=4: 40 concurrent slow requests all succeed on at most 4 connections", async () => {
    const c = counting(scriptedHandler);
    const backend = await startBackend(c.handler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ max=4 smax=4`]);
    try {
      const results = await Promise.all(Array.from({ length: 40 }, () => gw.request("/s.php", { headers: { "x-test": "slow:30" } })));
      for (const r of results) assert.equal(await r.text(), "slow");
      assert.ok(c.peak <= 4, `peak ${c.peak} requests at once`);
      assert.ok(c.peak >= 2, "requests did run side by side");
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 4);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a full pool makes requests wait up to `acquire`, then 503", async () => {
    const backend = await startBackend(scriptedHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ max=1 acquire=100`]);
    try {
      const slow = gw.request("/s.php", { headers: { "x-test": "slow:600" } });
      await sleep(50);
      const started = Date.now();
      const refused = await gw.request("/s.php", { headers: { "x-test": "slow:1" } });
      assert.equal(refused.status, 503);
      assert.ok(Date.now() - started < 500);
      assert.ok(gw.logs.some((l) => /status=503 .*within 100 ms/.test(l.line)));
      assert.equal(await (await slow).text(), "slow");
      // Once the slow one is done, the queue moves again.
      assert.equal(await (await gw.request("/s.php", { headers: { "x-test": "slow:1" } })).text(), "slow");
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("smax bounds idle connections; ttl closes idle ones", async () => {
    const backend = await startBackend(scriptedHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ smax=2 ttl=0.3`]);
    try {
      await Promise.all(Array.from({ length: 6 }, () => gw.request("/s.php", { headers: { "x-test": "slow:50" } }).then((r) => r.text())));
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.open === 2, 2000, "surplus connections to close");
      assert.equal(gw.gateway.stats().routes[0]!.pool.idle, 2);
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.open === 0, 3000, "idle connections to expire after ttl");
      await waitFor(() => backend.connections === 0, 2000, "backend sees them close");
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("an idle connection the backend closes is dropped at once", async () => {
    let closeAfter = true;
    const backend = await startBackend(async (req, reply) => {
      await echoHandler(req, reply);
      if (closeAfter) setTimeout(() => reply.conn.close(), 10); // after END_REQUEST, while idle in the pool
    });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      await json(await gw.request("/a.php"));
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.open === 0, 2000, "the closed connection to leave the pool");
      closeAfter = false;
      await json(await gw.request("/b.php"));
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 2);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a stale reused connection is retried once on a fresh one, for idempotent requests only", async () => {
    // The backend drops a kept connection as soon as a second request arrives on it, without answering:
    // what a gateway sees when the backend timed the connection out just as it was reused.
    const served = new WeakMap<Conn, number>();
    const backend = await startBackend(async (req, reply) => {
      const n = (served.get(reply.conn) ?? 0) + 1;
      served.set(reply.conn, n);
      if (n > 1) {
        reply.conn.close();
        return;
      }
      await echoHandler(req, reply);
    });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      await json(await gw.request("/first.php"));
      const retried = await json(await gw.request("/second.php"));
      assert.equal(retried.params.SCRIPT_NAME, "/second.php");
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 2);
      // POST is not idempotent: it never goes on a pooled connection, so it never needs sending twice.
      const post = await json(await gw.request("/third.php", { method: "POST", body: "x" }));
      assert.equal(post.params.SCRIPT_NAME, "/third.php");
      const pool = gw.gateway.stats().routes[0]!.pool;
      assert.deepEqual([pool.connects, pool.retries, pool.unsafeFresh], [3, 1, 1]);
      // Reused by a GET afterwards; when that one finds it dropped, it is retried, not failed.
      const fourth = await json(await gw.request("/fourth.php"));
      assert.equal(fourth.params.SCRIPT_NAME, "/fourth.php");
      assert.equal(gw.gateway.stats().routes[0]!.pool.retries, 2);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a connection whose body was read slowly (socket paused) serves the next request", async () => {
    const backend = await startBackend(scriptedHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ timeout=2`]);
    try {
      const big = await gw.request("/big.php", { headers: { "x-test": `size:${4 * 1024 * 1024}` } });
      let n = 0;
      for await (const chunk of big.body!) {
        n += (chunk as Uint8Array).length;
        if (n < 1024 * 1024) await sleep(1); // slow reader: the gateway pauses the backend socket
      }
      assert.equal(n, 4 * 1024 * 1024);
      assert.equal(await (await gw.request("/next.php", { headers: { "x-test": "slow:1" } })).text(), "slow");
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 1);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a stray empty stream record after END_REQUEST (node-fastcgi does this) does not cost the connection", async () => {
    const backend = await startBackend(async (req, reply) => {
      await echoHandler(req, reply);
      reply.conn.write(streamRecords(RecordType.STDERR, req.id, new Uint8Array(0)));
    });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      for (let i = 0; i < 5; i++) await json(await gw.request(`/x.php?i=${i}`));
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 1);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a client abort sends ABORT_REQUEST and closes that connection; the pool returns to its idle level", async () => {
    const backend = await startBackend(scriptedHandler);
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      await (await gw.request("/warm.php", { headers: { "x-test": "slow:1" } })).text();
      await waitFor(() => backend.connections === 1, 2000, "the probe to finish");
      const aborter = new AbortController();
      const res = await gw.request("/hang.php", { headers: { "x-test": "hang" }, signal: aborter.signal });
      await res.body!.getReader().read();
      aborter.abort();
      await waitFor(() => backend.aborts === 1, 2000, "ABORT_REQUEST at the backend");
      await waitFor(() => backend.connections <= 1 && gw.gateway.stats().routes[0]!.pool.busy === 0, 2000, "back to the idle level");
    } finally {
      await gw.close();
      await backend.close();
    }
  });
});

describe("FCGI_GET_VALUES and multiplexing", () => {
  it("asks once per backend in the background and records the answer", async () => {
    const backend = await startBackend(echoHandler, { maxConns: 7, maxReqs: 50 });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ max=10`]);
    try {
      await json(await gw.request("/a.php"));
      await waitFor(() => backend.getValues === 1, 2000, "the probe");
      await json(await gw.request("/b.php"));
      assert.equal(backend.getValues, 1);
      await waitFor(() => gw.logs.some((l) => /FCGI_MAX_CONNS=7, below max=10/.test(l.line)), 2000, "the max warning");
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("100 interleaved requests share one multiplexed connection, each answer matched to its request", async () => {
    const backend = await startBackend(async (req, reply) => {
      // Answer out of order: a random delay per request.
      await sleep(Math.floor(Math.random() * 20));
      await echoHandler(req, reply);
    }, { multiplex: true });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      await json(await gw.request("/warm.php"));
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.multiplexing, 2000, "the probe to report FCGI_MPXS_CONNS=1");
      const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const body = `body-${i}-${"x".repeat(i * 37)}`;
        const got = await json(await gw.request(`/m.php?i=${i}`, { method: "PUT", body, headers: { "x-i": String(i) } }));
        return { i, got, length: body.length };
      }));
      for (const { i, got, length } of results) {
        assert.equal(got.params.QUERY_STRING, `i=${i}`);
        assert.equal(got.params.HTTP_X_I, String(i));
        assert.equal(got.stdinLength, length);
      }
      const pool = gw.gateway.stats().routes[0]!.pool;
      assert.equal(pool.connects, 1, "one connection carried all 101 requests");
      assert.equal(backend.accepted, 2); // that one and the probe's
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("mpx-max caps requests per connection before another opens", async () => {
    const backend = await startBackend(async (req, reply) => {
      await sleep(40);
      await echoHandler(req, reply);
    }, { multiplex: true });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/ mpx-max=5`]);
    try {
      await json(await gw.request("/warm.php"));
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.multiplexing, 2000, "multiplexing");
      await Promise.all(Array.from({ length: 12 }, (_, i) => gw.request(`/m.php?i=${i}`).then(json)));
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 3);
    } finally {
      await gw.close();
      await backend.close();
    }
  });

  it("a client abort on a multiplexed connection aborts that request only and keeps the connection", async () => {
    const backend = await startBackend(scriptedHandler, { multiplex: true });
    const gw = testGateway([`/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      await (await gw.request("/warm.php", { headers: { "x-test": "slow:1" } })).text();
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.multiplexing, 2000, "multiplexing");
      const aborter = new AbortController();
      const hanging = await gw.request("/hang.php", { headers: { "x-test": "hang" }, signal: aborter.signal });
      await hanging.body!.getReader().read();
      const other = gw.request("/s.php", { headers: { "x-test": "slow:100" } });
      aborter.abort();
      await waitFor(() => backend.aborts === 1, 2000, "ABORT_REQUEST at the backend");
      assert.equal(await (await other).text(), "slow");
      const pool = gw.gateway.stats().routes[0]!.pool;
      assert.equal(pool.connects, 1, "the connection survived the abort");
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.busy === 0, 2000, "the aborted id to be freed by END_REQUEST");
    } finally {
      await gw.close();
      await backend.close();
    }
  });
});

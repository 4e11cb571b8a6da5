// The pool against a real PHP-FPM, seen from PHP-FPM: which child served each request (a child serves one
// connection until it closes), FCGI_GET_VALUES, and a FastCGI health check on ping.path.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { phpFpmMissing, startPhpFpm, type PhpFpm } from "../helpers/php-fpm.ts";
import { testGateway, waitFor, type TestGateway } from "../helpers/harness.ts";
import { queryValues } from "../../src/pool/get-values.ts";
import { probe } from "../../src/pool/health/probe.ts";
import { HEALTH_DEFAULTS } from "../../src/pool/health/health-options.ts";
import { runtimeConnector } from "../../src/platform/connector.ts";

describeWithBackend("the pool against PHP-FPM", phpFpmMissing(), () => {
  let fpm: PhpFpm;

  before(async () => {
    fpm = await startPhpFpm({ tcpChildren: 4 });
  });
  after(async () => {
    await fpm?.close();
  });

  /** The PHP-FPM children that served `n` sequential requests through a route with `keys`. */
  async function pids(keys: string, n: number): Promise<{ pids: Set<string>; gw: TestGateway }> {
    const gw = testGateway([`/ fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/ ${keys}`], { documentRoot: fpm.docroot });
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const res = await gw.request(`/pid.php?i=${i}`);
      assert.equal(res.status, 200);
      seen.add(await res.text());
    }
    return { pids: seen, gw };
  }

  it("reuse on: 50 requests over one connection, so one PHP-FPM child serves them all", async () => {
    const { pids: seen, gw } = await pids("", 50);
    try {
      assert.equal(seen.size, 1, `children ${[...seen].join(", ")}`);
      const pool = gw.gateway.stats().routes[0]!.pool;
      assert.equal(pool.connects, 1);
      assert.equal(pool.reuses, 49);
      // PHP-FPM answers GET_VALUES with FCGI_MPXS_CONNS=0 only: no multiplexing.
      assert.equal(pool.multiplexing, false);
    } finally {
      await gw.close();
    }
  });

  it("disablereuse=on: one connection per request", async () => {
    const { gw } = await pids("disablereuse=on", 20);
    try {
      assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 20);
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.open === 0, 2000, "every connection to close");
    } finally {
      await gw.close();
    }
  });

  it("idle pooled connections pin children: smax=2 keeps two, and they expire after ttl", async () => {
    const gw = testGateway([`/ fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/ smax=2 ttl=0.5`], { documentRoot: fpm.docroot });
    try {
      await Promise.all(Array.from({ length: 4 }, (_, i) => gw.request(`/slow.php?s=0.1&i=${i}`).then((r) => r.text())));
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.open === 2, 2000, "two idle connections kept");
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.open === 0, 3000, "idle connections to expire");
    } finally {
      await gw.close();
    }
  });

  it("FCGI_GET_VALUES: PHP-FPM reports FCGI_MPXS_CONNS=0", async () => {
    const caps = await queryValues(await runtimeConnector(), { kind: "tcp", host: "127.0.0.1", port: fpm.port }, 1000);
    assert.deepEqual(caps, { mpxsConns: false });
  });

  it("an FCGI health check on ping.path passes on `pong` and fails on anything else", async () => {
    const connector = await runtimeConnector();
    const endpoint = { kind: "tcp" as const, host: "127.0.0.1", port: fpm.port };
    const prefix = `proxy:fcgi://127.0.0.1:${fpm.port}`;
    const ok = await probe(connector, endpoint, prefix, { ...HEALTH_DEFAULTS, method: "FCGI", uri: "/ping", expectStatus: [200], expectBody: /^pong/ }, 2000);
    assert.equal(ok, undefined);
    const wrong = await probe(connector, endpoint, prefix, { ...HEALTH_DEFAULTS, method: "FCGI", uri: "/ping", expectBody: /^ping/ }, 2000);
    assert.match(wrong!, /body does not match/);
    const missing = await probe(connector, endpoint, prefix, { ...HEALTH_DEFAULTS, method: "FCGI", uri: "/nope.php" }, 2000);
    assert.match(missing!, /status 404/);
    const tcp = await probe(connector, endpoint, prefix, { ...HEALTH_DEFAULTS, method: "TCP" }, 2000);
    assert.equal(tcp, undefined);
  });
});

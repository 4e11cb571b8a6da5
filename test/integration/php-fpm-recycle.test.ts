// PHP-FPM children that exit after pm.max_requests (6 children, 20 requests each) close their connection
// right after their last END_REQUEST. With reuse on, no request may be answered 502 for it and no POST body
// may reach PHP twice: a connection goes back to the pool only after the I/O turn that brought END_REQUEST
// (a FIN by then drops it), a request that may not be retried goes on a connection opened for it, and a
// retry goes on a new connection.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { burst } from "../helpers/burst.ts";
import { testGateway } from "../helpers/harness.ts";
import { phpFpmMissing, startPhpFpm, type PhpFpm } from "../helpers/php-fpm.ts";

describeWithBackend("PHP-FPM recycling its children (pm.max_requests=20)", phpFpmMissing(), () => {
  let fpm: PhpFpm;
  before(async () => {
    fpm = await startPhpFpm({ tcpChildren: 6, maxRequests: 20 });
  });
  after(async () => {
    await fpm?.close();
  });

  for (const keys of ["", "max=6"]) {
    it(`${keys || "default keys"}: 600 requests at concurrency 20, half of them POSTs, no 502 and no POST twice`, async () => {
      const ids = `${fpm.docroot}/ids.log`;
      rmSync(ids, { force: true });
      const gw = testGateway([`/ fcgi://127.0.0.1:${fpm.port}${fpm.docroot}/ ${keys}`], { documentRoot: fpm.docroot });
      try {
        const tag = `k${keys.length}`;
        const r = await burst(gw, 600, 20, (i) => i % 2 === 0
          ? { path: `/hello.php?i=${i}` }
          : { path: "/record.php", init: { method: "POST", body: `${tag}-${i}`, headers: { "content-type": "text/plain" } } });
        const failures = gw.logs.filter((l) => / status=(5\d\d) /.test(l.line)).map((l) => l.line);
        assert.deepEqual([...r.statuses], [[200, 600]], failures.slice(0, 5).join("\n"));
        const recorded = readFileSync(ids, "utf8").trim().split("\n");
        assert.equal(recorded.length, 300, "every POST body reached PHP once");
        assert.equal(new Set(recorded).size, 300, "no POST body reached PHP twice");
        const pool = gw.gateway.stats().routes[0]!.pool;
        assert.equal(pool.unsafeFresh, 300, "each POST on a connection opened for it");
        assert.ok(pool.reuses > 0, "GETs still reuse connections");
      } finally {
        await gw.close();
      }
    });
  }
});

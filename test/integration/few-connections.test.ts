// Backends that serve one connection per process, with the default pool (reuse on, max 64): a kept
// connection pins its process, so requests queued on connections it has not accepted would starve. The pool
// caps itself at php-cgi's FCGI_MAX_CONNS, and for backends that report nothing useful (libfcgi says 1 even
// when threaded) it closes released connections while a request starves, then lowers its max once that is
// confirmed. The burst is the issue's: 60 requests at concurrency 20; none may take 2 s.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { burst, percentile } from "../helpers/burst.ts";
import { testGateway, waitFor } from "../helpers/harness.ts";
import { libfcgiMissing, startLibfcgiApp, type LibfcgiApp } from "../helpers/libfcgi-app.ts";
import { perlFcgiMissing, phpCgiMissing, startPerlFcgi, startPhpCgi, type ScriptBackend } from "../helpers/script-backends.ts";

const missing = perlFcgiMissing() ?? phpCgiMissing() ?? libfcgiMissing();

describeWithBackend("few-connection backends with the default pool", missing, () => {
  let perl: ScriptBackend;
  let phpCgi: ScriptBackend;
  let single: LibfcgiApp;
  before(async () => {
    [perl, phpCgi, single] = await Promise.all([startPerlFcgi(), startPhpCgi(4), startLibfcgiApp({ threads: 1 })]);
  });
  after(async () => {
    await Promise.all([perl?.close(), phpCgi?.close(), single?.close()]);
  });

  const cases = () => [
    { name: "Perl FCGI, one process", route: `/ fcgi://127.0.0.1:${perl.port}/srv/ backend-type=GENERIC`, path: "/x.pl", expect: /^perl \d+ \/srv\/x\.pl$/ },
    { name: "php-cgi, 4 children", route: `/ fcgi://127.0.0.1:${phpCgi.port}${phpCgi.docroot}/ backend-type=GENERIC`, path: "/hello.php", expect: /^hello \d+$/ },
    { name: "libfcgi, one thread", route: `/ fcgi://127.0.0.1:${single.port}/srv/ backend-type=GENERIC`, path: "/x", expect: /REQUEST_URI=\/x/ },
  ];

  for (const index of [0, 1, 2]) {
    it(`${["Perl FCGI, one process", "php-cgi, 4 children", "libfcgi, one thread"][index]}: 60 requests at concurrency 20, none over 2 s`, async () => {
      const c = cases()[index]!;
      const gw = testGateway([c.route]);
      try {
        const r = await burst(gw, 60, 20, (i) => ({ path: `${c.path}?i=${i}` }));
        assert.deepEqual([...r.statuses], [[200, 60]], gw.logs.map((l) => l.line).join("\n"));
        for (const body of r.bodies) assert.match(body, c.expect);
        const slowest = Math.max(...r.durations);
        assert.ok(slowest < 2000, `slowest request ${slowest} ms (p99 ${percentile(r.durations, 99)} ms)`);
      } finally {
        await gw.close();
      }
    });
  }

  it("php-cgi's FCGI_MAX_CONNS=4 caps the pool at 4 connections; an explicit max wins", async () => {
    const gw = testGateway([`/a/ fcgi://127.0.0.1:${phpCgi.port}${phpCgi.docroot}/ backend-type=GENERIC`]);
    const set = testGateway([`/a/ fcgi://127.0.0.1:${phpCgi.port}${phpCgi.docroot}/ backend-type=GENERIC max=10`]);
    try {
      assert.equal((await gw.request("/a/hello.php")).status, 200);
      await waitFor(() => gw.gateway.stats().routes[0]!.pool.max === 4, 3000, "the pool to take FCGI_MAX_CONNS=4");
      assert.equal((await set.request("/a/hello.php")).status, 200);
      await waitFor(() => set.logs.some((l) => /FCGI_MAX_CONNS=4, below max=10/.test(l.line)), 3000, "the explicit max's warning");
      assert.equal(set.gateway.stats().routes[0]!.pool.max, 10);
    } finally {
      await gw.close();
      await set.close();
    }
  });

  it("a starving backend is found out: released connections close, then its max is lowered, once, with the figures", async () => {
    const gw = testGateway([`/ fcgi://127.0.0.1:${perl.port}/srv/ backend-type=GENERIC`]);
    try {
      await burst(gw, 60, 20, (i) => ({ path: `/s.pl?i=${i}` }));
      const pool = gw.gateway.stats().routes[0]!.pool;
      assert.ok(pool.starveCloses > 0, "connections were closed for starving requests");
      assert.equal(pool.max, 1, "one Perl process serves one connection");
      const lines = gw.logs.filter((l) => /serves only the connections it holds/.test(l.line));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!.line, /waited up to \d+ ms .* at most 1 connections from now on \(was 64; set max= to choose\)/);
    } finally {
      await gw.close();
    }
  });

  it("php-cgi: an FPM-typed route gets \"No input file specified.\", and the log says backend-type=GENERIC", async () => {
    const gw = testGateway([`/ fcgi://127.0.0.1:${phpCgi.port}${phpCgi.docroot}/`]);
    try {
      const res = await gw.request("/hello.php");
      assert.equal(res.status, 404);
      assert.match(await res.text(), /No input file specified/);
      await waitFor(() => gw.logs.some((l) => / status=404 .*set backend-type=GENERIC on this route/.test(l.line)), 2000, "the hint");
    } finally {
      await gw.close();
    }
  });
});

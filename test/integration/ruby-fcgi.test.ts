// Debian's Ruby fcgi library (its pure-Ruby code) dies on an FCGI_GET_VALUES record. get-values=off keeps the
// probe away and the backend serves; with the default the probe kills it, and the gateway says so once and
// never probes again (the README tells Ruby users to set get-values=off).
import { it } from "node:test";
import assert from "node:assert/strict";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { testGateway, waitFor } from "../helpers/harness.ts";
import { rubyFcgiMissing, startRubyFcgi } from "../helpers/script-backends.ts";

describeWithBackend("a Ruby fcgi backend", rubyFcgiMissing(), () => {
  it("get-values=off: 30 requests served, the backend never probed", async () => {
    const ruby = await startRubyFcgi();
    const gw = testGateway([`/ fcgi://127.0.0.1:${ruby.port}/srv/ backend-type=GENERIC get-values=off`]);
    try {
      for (let i = 0; i < 30; i++) {
        const res = await gw.request(`/r${i}.rb`);
        assert.equal(res.status, 200);
        assert.match(await res.text(), new RegExp(`^ruby \\d+ /srv/r${i}\\.rb$`));
      }
      await Promise.all(Array.from({ length: 5 }, async (_, i) => assert.equal((await gw.request(`/c${i}.rb`)).status, 200)));
      assert.equal(ruby.daemon.exited, false);
      assert.ok(!gw.logs.some((l) => /GET_VALUES/.test(l.line)));
    } finally {
      await gw.close();
      await ruby.close();
    }
  });

  it("the default probe kills it: one warning, and the probe is never sent again", async () => {
    const ruby = await startRubyFcgi();
    const gw = testGateway([`/ fcgi://127.0.0.1:${ruby.port}/srv/ backend-type=GENERIC`]);
    try {
      await (await gw.request("/first.rb")).text();
      await waitFor(() => gw.logs.some((l) => /closed the connection instead of answering FCGI_GET_VALUES/.test(l.line)), 3000, "the probe warning");
      await waitFor(() => ruby.daemon.exited, 3000, "the Ruby process to die");
      assert.match(ruby.daemon.output(), /undefined method `length' for 1:Integer/);
      for (let i = 0; i < 3; i++) assert.equal((await gw.request(`/after${i}.rb`)).status, 503);
      assert.equal(gw.logs.filter((l) => /FCGI_GET_VALUES/.test(l.line)).length, 1);
    } finally {
      await gw.close();
      await ruby.close();
    }
  });
});

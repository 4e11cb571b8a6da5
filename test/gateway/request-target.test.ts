import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requestTarget } from "../../src/gateway/request-target.ts";
import { BadRequest } from "../../src/errors.ts";

const info = { remoteAddress: "127.0.0.1", localAddress: "127.0.0.1", localPort: 8080, tls: false };

describe("requestTarget", () => {
  it("gives what the URL parser gives for a URL, cut without parsing or not", () => {
    const urls = [
      "http://h/", "http://h:8080/a/b.php?x=1&y=2", "https://h/a?", "http://h/a#frag", "http://h/a?q#frag",
      "http://h/a/./b", "http://h/a/../b?c", "http://h/a/%2e%2E/b", "http://h/a/.", "http://h/a/..",
      "http://h/caf\u00e9.php?caf\u00e9", "http://h/a b?c d", "http://h/a\\b", "http://h/a'b?c'd", "http://h/a^b",
      "http://h/%zz/%41?%zz", "http://h/a|b[c]:@!$&()*+,;=~-._", "http://h/a/.hidden/..x/...",
    ];
    for (const url of urls) {
      const u = new URL(url);
      const got = requestTarget(url, info);
      assert.ok(!(got instanceof BadRequest), url);
      assert.deepEqual(got, { path: u.pathname, query: u.search.slice(1), uri: u.pathname + u.search }, url);
    }
  });

  it("takes the raw request-target as sent when the adapter gives it", () => {
    const got = requestTarget("http://h/a/b", { ...info, rawTarget: "/a\\b/../c?x=%zz" });
    assert.deepEqual(got, { path: "/a\\b/../c", query: "x=%zz", uri: "/a\\b/../c?x=%zz" });
    assert.ok(requestTarget("http://h/", { ...info, rawTarget: "/a#b" }) instanceof BadRequest);
  });

  it("resolves a relative URL against the listener and refuses an unparsable one", () => {
    assert.deepEqual(requestTarget("/x?y", info), { path: "/x", query: "y", uri: "/x?y" });
    assert.ok(requestTarget("/x", { ...info, localAddress: "[bad" }) instanceof BadRequest);
  });
});

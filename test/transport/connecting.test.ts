// The connect-timeout race shared by every shim. A loopback connect cannot be made to hang on
// demand (and non-loopback addresses are off limits here), so the timeout path is tested with a
// stand-in connect attempt instead of a socket.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectWithTimeout, endpointLabel } from "../../src/transport/connecting.ts";
import { TransportError } from "../../src/transport/types.ts";
import { deferred, sleep } from "./harness.ts";

describe("endpointLabel", () => {
  it("formats TCP, IPv6 and Unix endpoints", () => {
    assert.equal(endpointLabel({ kind: "tcp", host: "127.0.0.1", port: 9000 }), "127.0.0.1:9000");
    assert.equal(endpointLabel({ kind: "tcp", host: "::1", port: 9000 }), "[::1]:9000");
    assert.equal(endpointLabel({ kind: "unix", path: "/run/php.sock" }), "unix:/run/php.sock");
  });
});

describe("connectWithTimeout", () => {
  it("rejects with ETIMEDOUT and aborts the attempt when it takes too long", async () => {
    let signal: AbortSignal | undefined;
    const started = Date.now();
    const attempt = connectWithTimeout("127.0.0.1:9", 30, (s) => {
      signal = s;
      return new Promise<string>((_, reject) => s.addEventListener("abort", () => reject(new Error("aborted"))));
    }, () => assert.fail("nothing to discard"));
    await assert.rejects(attempt, (err: unknown) => {
      assert.ok(err instanceof TransportError);
      assert.equal(err.code, "ETIMEDOUT");
      assert.match(err.message, /127\.0\.0\.1:9/);
      return true;
    });
    assert.ok(Date.now() - started >= 25, "gave up too early");
    assert.equal(signal?.aborted, true);
  });

  it("hands a connection that arrives after the timeout to discard", async () => {
    const late = deferred<string>();
    const discarded = deferred<string>();
    const attempt = connectWithTimeout("x", 10, () => late.promise, (value) => discarded.resolve(value));
    await assert.rejects(attempt, (err: unknown) => err instanceof TransportError && err.code === "ETIMEDOUT");
    late.resolve("socket");
    assert.equal(await discarded.promise, "socket");
  });

  it("resolves a connection made in time, and clears its timer", async () => {
    // A leaked 60 s timer would keep node --test from finishing: the run itself checks the clear.
    const value = await connectWithTimeout("x", 60_000, async () => "socket", () => assert.fail("discarded"));
    assert.equal(value, "socket");
  });

  it("normalises failures, thrown or rejected, with the endpoint in the message", async () => {
    const refused = Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    for (const start of [() => Promise.reject(refused), () => { throw refused; }]) {
      await assert.rejects(connectWithTimeout("127.0.0.1:1", 1000, start, () => {}), (err: unknown) => {
        assert.ok(err instanceof TransportError);
        assert.equal(err.code, "ECONNREFUSED");
        assert.equal(err.cause, refused);
        assert.equal(err.message, "ECONNREFUSED connecting to 127.0.0.1:1: refused");
        return true;
      });
    }
  });

  it("sets no timer for a non-finite or non-positive timeout", async () => {
    for (const timeoutMs of [Infinity, 0, -1, Number.NaN]) {
      const slow = deferred<string>();
      const attempt = connectWithTimeout("x", timeoutMs, () => slow.promise, () => {});
      await sleep(20);
      slow.resolve("ok");
      assert.equal(await attempt, "ok");
    }
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Member, applyStatusParam, lbfactorOf, parseStatusParam } from "../../../src/pool/balancer/member.ts";

describe("balancer member: options", () => {
  it("defaults to Apache's: loadfactor 1 (lbfactor 100), lbset 0, retry 60 s, no route, no flags", () => {
    const m = new Member("fcgi://127.0.0.1:9000", {}, { pool: 1 });
    assert.equal(m.lbfactor, 100);
    assert.equal(m.loadfactor, 1);
    assert.equal(m.lbset, 0);
    assert.equal(m.retryMs, 60_000);
    assert.equal(m.route, "");
    assert.equal(m.redirect, "");
    assert.equal(m.flags, "");
    assert.equal(m.usable, true);
    assert.deepEqual(m.payload, { pool: 1 });
  });

  it("keeps the loadfactor ×100, truncated, as Apache does; 1..100 only", () => {
    assert.equal(lbfactorOf(1), 100);
    assert.equal(lbfactorOf(2.5), 250);
    assert.equal(lbfactorOf(1.005), 100); // 100.49999... truncated
    assert.equal(lbfactorOf(100), 10_000);
    assert.equal(lbfactorOf(0.999), undefined);
    assert.equal(lbfactorOf(100.01), undefined);
    assert.equal(lbfactorOf(Number.NaN), undefined);
    assert.equal(new Member("m", { loadfactor: 33.333 }, null).lbfactor, 3333);
    assert.throws(() => new Member("m", { loadfactor: 0.5 }, null), RangeError);
    assert.throws(() => new Member("m", { lbset: 100 }, null), RangeError);
    assert.throws(() => new Member("m", { lbset: 1.5 }, null), RangeError);
    assert.throws(() => new Member("m", { retryMs: -1 }, null), RangeError);
  });

  it("takes its initial flags and shows them in Apache's order", () => {
    const m = new Member("m", { status: ["R", "E", "I"] }, null);
    assert.equal(m.flags, "IER");
    assert.equal(m.has("E"), true);
    assert.equal(m.has("D"), false);
  });
});

describe("balancer member: status= parameter", () => {
  it("parses letters with + and -, a sign staying in force, any case", () => {
    assert.deepEqual(parseStatusParam("+H"), [["H", true]]);
    assert.deepEqual(parseStatusParam("D"), [["D", true]]);
    assert.deepEqual(parseStatusParam("S-E"), [["S", true], ["E", false]]);
    assert.deepEqual(parseStatusParam("-eh+i"), [["E", false], ["H", false], ["I", true]]);
  });

  it("refuses unknown letters and a trailing sign", () => {
    assert.throws(() => parseStatusParam("X"));
    assert.throws(() => parseStatusParam("+"));
    assert.throws(() => parseStatusParam("H-"));
  });

  it("applies changes to a flag set", () => {
    assert.deepEqual([...applyStatusParam(["E", "H"], "-E+D")].sort(), ["D", "H"]);
  });
});

describe("balancer member: usability, error and retry (ap_proxy_retry_worker)", () => {
  it("is unusable when disabled, stopped, in error or failing its health check, and only then", () => {
    for (const f of ["D", "S", "E", "C"] as const) assert.equal(new Member("m", { status: [f] }, null).usable, false, f);
    for (const f of ["I", "H", "R", "N"] as const) assert.equal(new Member("m", { status: [f] }, null).usable, true, f);
  });

  it("leaves error only strictly after errorTime + retry", () => {
    const m = new Member("m", { retryMs: 1000 }, null);
    assert.equal(m.markError(5000), true);
    assert.equal(m.errorTime, 5000);
    assert.equal(m.errors, 1);
    assert.equal(m.isUsable(5000), false);
    assert.equal(m.isUsable(6000), false);
    assert.equal(m.has("E"), true);
    assert.equal(m.isUsable(6001), true);
    assert.equal(m.has("E"), false);
    assert.equal(m.retries, 1);
  });

  it("retry=0 retries at the next moment", () => {
    const m = new Member("m", { retryMs: 0 }, null);
    m.markError(100);
    assert.equal(m.isUsable(100), false);
    assert.equal(m.isUsable(101), true);
  });

  it("never goes into error with I (ignore errors)", () => {
    const m = new Member("m", { status: ["I"] }, null);
    assert.equal(m.markError(1), false);
    assert.equal(m.usable, true);
    assert.equal(m.errors, 0);
  });

  it("with I, a configured E is cleared at the first retry", () => {
    const m = new Member("m", { status: ["I", "E"], retryMs: 1e9 }, null);
    assert.equal(m.usable, false);
    assert.equal(m.isUsable(0), true);
  });

  it("a configured E has Apache's error time 0: retried at once", () => {
    const m = new Member("m", { status: ["E"] }, null);
    assert.equal(m.isUsable(Date.now()), true);
  });

  it("a stopped member is never retried out of error", () => {
    const m = new Member("m", { status: ["S"], retryMs: 0 }, null);
    m.markError(0);
    assert.equal(m.retry(1e12), false);
    assert.equal(m.has("E"), true);
  });

  it("retry does not lift D or C", () => {
    const d = new Member("m", { status: ["D"] }, null);
    assert.equal(d.retry(0), true);
    assert.equal(d.isUsable(0), false);
    const c = new Member("m", { status: ["C"] }, null);
    assert.equal(c.isUsable(0), false);
    c.clearFlag("C");
    assert.equal(c.isUsable(0), true);
  });

  it("clearError takes the member out of error at once", () => {
    const m = new Member("m", {}, null);
    m.markError(0);
    m.clearError();
    assert.equal(m.usable, true);
  });
});

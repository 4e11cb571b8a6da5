// Member selection, worked out by hand from Apache 2.4's algorithms (mod_proxy_balancer.c, proxy_util.c
// proxy_balancer_get_best_worker, mod_lbmethod_*.c). apache-diff.test.ts checks the same against a real Apache.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Balancer, sessionTarget, type BalancerOptions, type PickRequest, type PickResult } from "../../../src/pool/balancer/balancer.ts";
import { Member, type MemberOptions } from "../../../src/pool/balancer/member.ts";

const NOW = 1_000_000;
const PLAIN: PickRequest = { target: "/", cookie: null };

function balancer(specs: Record<string, MemberOptions>, options: BalancerOptions = {}): Balancer<string> {
  return new Balancer("t", Object.entries(specs).map(([name, o]) => new Member(name, o, name)), options);
}

function member(b: Balancer<string>, name: string): Member<string> {
  const m = b.members.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name}`);
  return m;
}

function chosen(r: PickResult<string>): string {
  return r.kind === "member" ? r.member.name : `(${r.reason})`;
}

/** n sequential requests, each started and finished before the next. */
function picks(b: Balancer<string>, n: number, request: PickRequest = PLAIN, now = NOW): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = b.pick(request, now);
    out.push(chosen(r));
    if (r.kind === "member") {
      b.started(r.member);
      b.finished(r.member);
    }
  }
  return out;
}

const lbstatus = (b: Balancer<string>) => b.members.map((m) => m.lbstatus);

describe("byrequests", () => {
  it("loadfactors 1:2:3: the first 12 picks, by hand", () => {
    // lbfactors 100/200/300, total 600 per pick. lbstatus after each pick (a, b, c):
    // c: (100,200,-300)  b: (200,-200,0)  a: (-300,0,300)  c: (-200,200,0)  b: (-100,-200,300)  c: (0,0,0)
    const b = balancer({ a: { loadfactor: 1 }, b: { loadfactor: 2 }, c: { loadfactor: 3 } });
    const first = picks(b, 1);
    assert.deepEqual(lbstatus(b), [100, 200, -300]);
    const rest = picks(b, 11);
    assert.deepEqual([...first, ...rest], ["c", "b", "a", "c", "b", "c", "c", "b", "a", "c", "b", "c"]);
  });

  it("loadfactors 1:2:3 over 600 picks: the 6-pick cycle throughout, 100/200/300", () => {
    const b = balancer({ a: { loadfactor: 1 }, b: { loadfactor: 2 }, c: { loadfactor: 3 } });
    const seq = picks(b, 600);
    const cycle = ["c", "b", "a", "c", "b", "c"];
    seq.forEach((name, i) => assert.equal(name, cycle[i % 6], `pick ${i}`));
    assert.deepEqual(b.members.map((m) => m.elected), [100, 200, 300]);
    assert.deepEqual(lbstatus(b), [0, 0, 0]);
  });

  it("the mod_lbmethod_byrequests example: a b c d at 25, b disabled → a c d a c d", () => {
    const b = balancer({ a: { loadfactor: 25 }, b: { loadfactor: 25, status: ["D"] }, c: { loadfactor: 25 }, d: { loadfactor: 25 } });
    assert.deepEqual(picks(b, 1), ["a"]);
    assert.deepEqual(lbstatus(b), [-5000, 0, 2500, 2500]); // the doc's (-50, 0, 25, 25), ×100
    assert.deepEqual(picks(b, 1), ["c"]);
    assert.deepEqual(lbstatus(b), [-2500, 0, -2500, 5000]);
    assert.deepEqual(picks(b, 1), ["d"]);
    assert.deepEqual(lbstatus(b), [0, 0, 0, 0]);
    assert.deepEqual(picks(b, 6), ["a", "c", "d", "a", "c", "d"]);
  });

  it("equal weights: round robin in configuration order", () => {
    assert.deepEqual(picks(balancer({ a: {}, b: {}, c: {} }), 7), ["a", "b", "c", "a", "b", "c", "a"]);
  });

  it("decimal loadfactors count ×100", () => {
    // 1.5 vs 1: lbfactors 150/100, total 250; (a, b) after each pick: a (-100,100) b (50,-50) a (-50,50)
    // b (100,-100) a (0,0): a 5-pick cycle a b a b a.
    const b = balancer({ a: { loadfactor: 1.5 }, b: { loadfactor: 1 } });
    const seq = picks(b, 10);
    assert.deepEqual(seq, ["a", "b", "a", "b", "a", "a", "b", "a", "b", "a"]);
    assert.deepEqual(b.members.map((m) => m.elected), [6, 4]);
  });

  it("a sticky hit consumes a slot: every usable member earns its weight, the chosen one pays", () => {
    const b = balancer({ a: { loadfactor: 1, route: "a" }, b: { loadfactor: 2, route: "b" }, c: { loadfactor: 3, route: "c" } }, { stickysession: "S" });
    const r = b.pick({ target: "/", cookie: "S=x.a" }, NOW);
    assert.equal(chosen(r), "a");
    assert.deepEqual(lbstatus(b), [-500, 200, 300]);
    assert.equal(member(b, "a").elected, 1);
    assert.deepEqual(picks(b, 2), ["c", "b"]);
  });

  it("exclude: members already tried are passed over (and accumulate nothing)", () => {
    const b = balancer({ a: { loadfactor: 1 }, b: { loadfactor: 2 }, c: { loadfactor: 3 } });
    const r = b.pick(PLAIN, NOW, new Set([member(b, "c")]));
    assert.equal(chosen(r), "b");
    assert.deepEqual(lbstatus(b), [100, -100, 0]);
  });
});

describe("bybusyness", () => {
  it("picks the member with the fewest requests in flight", () => {
    const b = balancer({ a: {}, b: {}, c: {} }, { lbmethod: "bybusyness" });
    b.started(member(b, "a"));
    b.started(member(b, "b"));
    assert.equal(chosen(b.pick(PLAIN, NOW)), "c");
    b.started(member(b, "c"));
    b.started(member(b, "c"));
    assert.equal(chosen(b.pick(PLAIN, NOW)), "a");
  });

  it("breaks ties with byrequests' lbstatus rule", () => {
    const b = balancer({ a: { loadfactor: 1 }, b: { loadfactor: 2 }, c: { loadfactor: 3 } }, { lbmethod: "bybusyness" });
    assert.deepEqual(picks(b, 12), ["c", "b", "a", "c", "b", "c", "c", "b", "a", "c", "b", "c"]);
  });

  it("every candidate accumulates, even when busyness decides", () => {
    const b = balancer({ a: {}, b: {} }, { lbmethod: "bybusyness" });
    b.started(member(b, "a"));
    assert.equal(chosen(b.pick(PLAIN, NOW)), "b");
    assert.deepEqual(lbstatus(b), [100, -100]);
  });

  it("finished() never takes busy below zero", () => {
    const b = balancer({ a: {} }, { lbmethod: "bybusyness" });
    b.finished(member(b, "a"));
    assert.equal(member(b, "a").busy, 0);
  });
});

describe("bytraffic", () => {
  it("picks the least traffic per weight", () => {
    const b = balancer({ a: { loadfactor: 1 }, b: { loadfactor: 2 } }, { lbmethod: "bytraffic" });
    b.finished(member(b, "a"), 1000, 0); // 1000/100 = 10
    b.finished(member(b, "b"), 1500, 0); // 1500/200 = 7
    assert.equal(chosen(b.pick(PLAIN, NOW)), "b");
    b.finished(member(b, "b"), 0, 700); // 7 + 700/200 = 10: a tie, the first wins
    assert.equal(chosen(b.pick(PLAIN, NOW)), "a");
  });

  it("divides written and read separately, each an integer division", () => {
    const b = balancer({ a: {}, b: {} }, { lbmethod: "bytraffic" });
    b.finished(member(b, "a"), 199, 199); // 1 + 1 = 2 (398/100 would be 3)
    b.finished(member(b, "b"), 250, 0); // 2
    assert.equal(chosen(b.pick(PLAIN, NOW)), "a");
  });

  it("a fresh balancer starts with the first member and leaves lbstatus alone", () => {
    const b = balancer({ a: {}, b: {} }, { lbmethod: "bytraffic" });
    assert.deepEqual(picks(b, 3), ["a", "a", "a"]);
    assert.deepEqual(lbstatus(b), [0, 0]);
  });
});

describe("lbsets, hot spares, hot standbys, drain, stopped", () => {
  it("lower lbsets first; a higher one only when the lower has nothing usable", () => {
    const b = balancer({ a: { lbset: 1 }, b: {}, c: {} });
    assert.deepEqual(picks(b, 4), ["b", "c", "b", "c"]);
    member(b, "b").markError(NOW);
    member(b, "c").setFlag("D");
    assert.deepEqual(picks(b, 2), ["a", "a"]);
  });

  it("lbsets with gaps are all reached", () => {
    const b = balancer({ a: { lbset: 7 }, b: { lbset: 2, status: ["D"] } });
    assert.deepEqual(picks(b, 2), ["a", "a"]);
  });

  it("a hot standby is used only when nothing else in its lbset is", () => {
    const b = balancer({ a: {}, b: {}, s: { status: ["H"] } });
    assert.deepEqual(picks(b, 4), ["a", "b", "a", "b"]);
    member(b, "a").markError(NOW);
    assert.deepEqual(picks(b, 2), ["b", "b"]);
    member(b, "b").markError(NOW);
    assert.deepEqual(picks(b, 2), ["s", "s"]);
  });

  it("a hot standby in a lower lbset beats members of a higher one", () => {
    const b = balancer({ a: { status: ["D"] }, s: { status: ["H"] }, z: { lbset: 1 } });
    assert.deepEqual(picks(b, 2), ["s", "s"]);
  });

  it("a hot spare replaces exactly one unusable member, and spares in order", () => {
    const b = balancer({ a: {}, b: {}, r1: { status: ["R"] }, r2: { status: ["R"] } });
    assert.deepEqual(picks(b, 4), ["a", "b", "a", "b"]); // no unusable member: no spare
    member(b, "b").markError(NOW);
    assert.deepEqual(picks(b, 6), ["a", "r1", "a", "r1", "a", "r1"]);
    member(b, "a").setFlag("S");
    assert.deepEqual(picks(b, 4), ["r1", "r2", "r1", "r2"]);
  });

  it("a draining member takes no new requests and counts as unusable (a spare steps in)", () => {
    const b = balancer({ a: { status: ["N"] }, b: {}, r: { status: ["R"] } });
    assert.deepEqual(picks(b, 4), ["b", "r", "b", "r"]);
  });

  it("a draining spare or standby is simply skipped", () => {
    const b = balancer({ a: { status: ["D"] }, r: { status: ["R", "N"] }, s: { status: ["H", "N"] } });
    assert.equal(chosen(b.pick(PLAIN, NOW)), "(none-usable)");
  });

  it("a stopped member is never chosen, even after its retry period", () => {
    const b = balancer({ a: { status: ["S"], retryMs: 0 }, b: {} });
    member(b, "a").markError(0);
    assert.deepEqual(picks(b, 3, PLAIN, NOW), ["b", "b", "b"]);
  });

  it("nothing usable: unavailable", () => {
    const b = balancer({ a: { status: ["D"] }, b: { status: ["S"] } });
    assert.equal(chosen(b.pick(PLAIN, NOW)), "(none-usable)");
    assert.equal(chosen(new Balancer<string>("empty", [], {}).pick(PLAIN, NOW)), "(none-usable)");
  });
});

describe("errors, retry and forced recovery", () => {
  it("a member in error comes back strictly after its retry period", () => {
    const b = balancer({ a: { retryMs: 1000 }, s: { status: ["H"] } });
    member(b, "a").markError(0);
    assert.equal(chosen(b.pick(PLAIN, 500)), "s");
    assert.equal(chosen(b.pick(PLAIN, 1000)), "s");
    assert.equal(chosen(b.pick(PLAIN, 1001)), "a");
    assert.equal(member(b, "a").retries, 1);
  });

  it("ignore-errors (I) members never leave the rotation", () => {
    const b = balancer({ a: { status: ["I"] }, b: {} });
    member(b, "a").markError(NOW);
    member(b, "b").markError(NOW);
    assert.deepEqual(picks(b, 2), ["a", "a"]);
  });

  it("forcerecovery: when every member is in error, all leave error at once", () => {
    const b = balancer({ a: {}, b: {} });
    member(b, "a").markError(NOW);
    member(b, "b").markError(NOW);
    assert.equal(chosen(b.pick(PLAIN, NOW + 1)), "a");
    assert.equal(member(b, "b").has("E"), false);
    assert.deepEqual(b.members.map((m) => m.retries), [1, 1]);
  });

  it("forcerecovery=off: all in error stays unavailable until a retry period passes", () => {
    const b = balancer({ a: { retryMs: 10 }, b: { retryMs: 20 } }, { forcerecovery: false });
    member(b, "a").markError(NOW);
    member(b, "b").markError(NOW);
    assert.equal(chosen(b.pick(PLAIN, NOW + 5)), "(none-usable)");
    assert.equal(chosen(b.pick(PLAIN, NOW + 11)), "a");
    assert.equal(member(b, "b").has("E"), true);
  });

  it("forced recovery is not needed when one member's retry period has passed", () => {
    const b = balancer({ a: { retryMs: 10 }, b: { retryMs: 1000 } });
    member(b, "a").markError(NOW);
    member(b, "b").markError(NOW);
    assert.equal(chosen(b.pick(PLAIN, NOW + 11)), "a");
    assert.equal(member(b, "b").has("E"), true);
  });

  it("forced recovery does not make a disabled or stopped member usable", () => {
    const b = balancer({ a: { status: ["S"] }, b: { status: ["D"] } });
    member(b, "a").markError(NOW);
    member(b, "b").markError(NOW);
    assert.equal(chosen(b.pick(PLAIN, NOW)), "(none-usable)");
    assert.equal(member(b, "a").has("E"), false);
  });

  it("failonstatus puts the member in error for later requests (not with I)", () => {
    const b = balancer({ a: {}, b: { status: ["I"] } }, { failonstatus: [500, 503] });
    assert.equal(b.noteStatus(member(b, "a"), 404, NOW), false);
    assert.equal(b.noteStatus(member(b, "a"), 503, NOW), true);
    assert.equal(member(b, "a").has("E"), true);
    assert.equal(b.noteStatus(member(b, "b"), 500, NOW), false);
  });

  it("maxattempts defaults to members − 1, and to 0 with one member", () => {
    assert.equal(balancer({ a: {}, b: {}, c: {} }).maxAttempts, 2);
    assert.equal(balancer({ a: {} }).maxAttempts, 0);
    assert.equal(balancer({ a: {}, b: {} }, { maxattempts: 5 }).maxAttempts, 5);
  });
});

describe("sticky sessions", () => {
  const routed = () => ({ a: { route: "n0" }, b: { route: "n1" }, c: { route: "n2" } });

  it("a cookie route holds", () => {
    const b = balancer(routed(), { stickysession: "JSESSIONID" });
    for (let i = 0; i < 5; i++) {
      const r = b.pick({ target: "/app", cookie: "JSESSIONID=abc.n1" }, NOW);
      assert.equal(chosen(r), "b");
      assert.equal(r.kind === "member" && r.sticky && !r.routeChanged, true);
    }
  });

  it("a URL parameter route holds, and wins over the cookie", () => {
    const b = balancer(routed(), { stickysession: "JSESSIONID" });
    assert.equal(chosen(b.pick({ target: "/app?x=1&JSESSIONID=abc.n2", cookie: "JSESSIONID=abc.n1" }, NOW)), "c");
  });

  it("COOKIE|PARAM: the cookie under the first name, the URL parameter under the second", () => {
    const b = balancer(routed(), { stickysession: "JSESSIONID|jsessionid", scolonpathdelim: true });
    assert.equal(chosen(b.pick({ target: "/app;jsessionid=abc.n2;x", cookie: null }, NOW)), "c");
    assert.equal(chosen(b.pick({ target: "/app", cookie: "JSESSIONID=abc.n1" }, NOW)), "b");
    const r = b.pick({ target: "/app?JSESSIONID=abc.n1", cookie: "jsessionid=abc.n2" }, NOW);
    assert.equal(r.kind === "member" && r.sticky, false);
  });

  it("sessionTarget joins the decoded path and the raw query", () => {
    assert.equal(sessionTarget("/a;jsessionid=x.n1", null), "/a;jsessionid=x.n1");
    assert.equal(sessionTarget("/a", "jsessionid=x.n1"), "/a?jsessionid=x.n1");
  });

  it("a route's unusable member: another member, marked routeChanged", () => {
    const b = balancer(routed(), { stickysession: "JSESSIONID" });
    member(b, "b").markError(NOW);
    const r = b.pick({ target: "/", cookie: "JSESSIONID=abc.n1" }, NOW);
    assert.equal(chosen(r), "a");
    assert.equal(r.kind === "member" && !r.sticky && r.routeChanged, true);
    assert.deepEqual(r.session, { sticky: "JSESSIONID", route: "n1" });
  });

  it("nofailover: a route's unusable member → refused (503); an unknown route is balanced as usual", () => {
    const b = balancer(routed(), { stickysession: "JSESSIONID", nofailover: true });
    member(b, "b").setFlag("D");
    const r = b.pick({ target: "/", cookie: "JSESSIONID=abc.n1" }, NOW);
    assert.deepEqual(r, { kind: "unavailable", reason: "nofailover", session: { sticky: "JSESSIONID", route: "n1" } });
    assert.equal(chosen(b.pick({ target: "/", cookie: "JSESSIONID=abc.n9" }, NOW)), "a");
    assert.equal(chosen(b.pick({ target: "/", cookie: null }, NOW)), "c");
  });

  it("nofailover with exclude: the route's member already failed for this request → refused", () => {
    const b = balancer(routed(), { stickysession: "JSESSIONID", nofailover: true });
    const r = b.pick({ target: "/", cookie: "JSESSIONID=abc.n1" }, NOW, new Set([member(b, "b")]));
    assert.equal(chosen(r), "(nofailover)");
  });

  it("a route's member in error comes back after retry", () => {
    const b = balancer({ a: { route: "n0", retryMs: 100 }, b: { route: "n1" } }, { stickysession: "S" });
    member(b, "a").markError(NOW);
    assert.equal(chosen(b.pick({ target: "/", cookie: "S=x.n0" }, NOW + 100)), "b");
    assert.equal(chosen(b.pick({ target: "/", cookie: "S=x.n0" }, NOW + 101)), "a");
  });

  it("redirect: an unusable member's sessions go to the member of its redirect route", () => {
    const b = balancer({ a: { route: "n0", redirect: "n2", status: ["D"] }, b: { route: "n1" }, c: { route: "n2" } }, { stickysession: "S" });
    const r = b.pick({ target: "/", cookie: "S=x.n0" }, NOW);
    assert.equal(chosen(r), "c");
    assert.equal(r.kind === "member" && r.sticky && r.routeChanged, true);
  });

  it("redirect cycles end", () => {
    const b = balancer({ a: { route: "n0", redirect: "n1", status: ["D"] }, b: { route: "n1", redirect: "n0", status: ["D"] }, c: {} }, { stickysession: "S" });
    assert.equal(chosen(b.pick({ target: "/", cookie: "S=x.n0" }, NOW)), "c");
  });

  it("routes find non-standby members before hot standbys, and draining members still take their sessions", () => {
    const b = balancer({ s: { route: "n0", status: ["H"] }, a: { route: "n0", status: ["N"] }, z: {} }, { stickysession: "S" });
    assert.equal(chosen(b.pick({ target: "/", cookie: "S=x.n0" }, NOW)), "a");
    member(b, "a").setFlag("D");
    assert.equal(chosen(b.pick({ target: "/", cookie: "S=x.n0" }, NOW)), "s");
  });

  it("without stickysession, routes in requests are ignored and nothing is routeChanged", () => {
    const b = balancer(routed());
    const r = b.pick({ target: "/", cookie: "JSESSIONID=abc.n2" }, NOW);
    assert.equal(chosen(r), "a");
    assert.equal(r.kind === "member" && r.routeChanged, false);
    assert.equal(r.session, undefined);
  });
});

describe("environment", () => {
  it("gives Apache's BALANCER_* variables", () => {
    const b = balancer({ a: { route: "n0" }, b: { route: "n1" } }, { stickysession: "JSESSIONID" });
    assert.deepEqual(b.env(b.pick({ target: "/", cookie: "JSESSIONID=x.n1" }, NOW)), [
      ["BALANCER_NAME", "balancer://t"],
      ["BALANCER_WORKER_NAME", "b"],
      ["BALANCER_WORKER_ROUTE", "n1"],
      ["BALANCER_SESSION_STICKY", "JSESSIONID"],
      ["BALANCER_SESSION_ROUTE", "n1"],
    ]);
    assert.deepEqual(b.env(b.pick({ target: "/", cookie: null }, NOW)), [
      ["BALANCER_ROUTE_CHANGED", "1"],
      ["BALANCER_NAME", "balancer://t"],
      ["BALANCER_WORKER_NAME", "a"],
      ["BALANCER_WORKER_ROUTE", "n0"],
    ]);
  });

  it("accepts the name with or without balancer://", () => {
    assert.equal(new Balancer("balancer://x", [], {}).url, "balancer://x");
    assert.equal(new Balancer("x", [], {}).name, "x");
  });
});

// Differential test of member selection against a real Apache 2.4 mod_proxy_balancer: each scenario
// configures the same members and balancer in Apache (in front of the project's FastCGI backends, each
// answering with its name) and in our Balancer, sends the same sequential requests to both, and compares
// who answered, the status, and the BALANCER_* variables. Members marked `down` refuse connections: Apache
// puts them in error and fails over; the model does the same with markError and `exclude`, as the gateway
// will. Skipped without Apache unless CI=true.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { apacheBalancerUnavailable, startApacheBalancer, type ApacheMemberSpec } from "../../helpers/apache-balancer.ts";
import { Balancer, sessionTarget, type BalancerOptions } from "../../../src/pool/balancer/balancer.ts";
import type { LbMethod } from "../../../src/pool/balancer/lbmethods.ts";
import { Member, applyStatusParam, type MemberOptions } from "../../../src/pool/balancer/member.ts";

interface Req {
  /** Path and query under the balancer's /b prefix. */
  readonly path: string;
  readonly cookie?: string;
}

interface Scenario {
  readonly name: string;
  readonly members: readonly ApacheMemberSpec[];
  readonly balancer?: string;
  readonly requests: readonly Req[];
}

interface Outcome {
  readonly status: number;
  readonly member: string | undefined;
  readonly env: Readonly<Record<string, string>>;
}

const plain = (n: number): Req[] => Array.from({ length: n }, () => ({ path: "/x" }));

const SCENARIOS: readonly Scenario[] = [
  {
    name: "byrequests, loadfactors 1:2:3, 600 requests",
    members: [{ params: "loadfactor=1" }, { params: "loadfactor=2" }, { params: "loadfactor=3" }],
    requests: plain(600),
  },
  {
    name: "the byrequests doc example: four at 25, the second disabled",
    members: [{ params: "loadfactor=25" }, { params: "loadfactor=25 status=+D" }, { params: "loadfactor=25" }, { params: "loadfactor=25" }],
    requests: plain(12),
  },
  {
    name: "decimal loadfactors",
    members: [{ params: "loadfactor=1.5" }, { params: "loadfactor=1" }, { params: "loadfactor=2.25" }],
    requests: plain(120),
  },
  {
    name: "bybusyness, sequential (ties broken by lbstatus)",
    members: [{ params: "loadfactor=1" }, { params: "loadfactor=2" }, { params: "loadfactor=3" }],
    balancer: "lbmethod=bybusyness",
    requests: plain(60),
  },
  {
    name: "failover to the next member; a hot standby stays unused",
    members: [{ down: true }, {}, { params: "status=+H" }],
    requests: plain(8),
  },
  {
    name: "hot standby when every other member is down",
    members: [{ down: true }, { down: true }, { params: "status=+H" }],
    requests: plain(6),
  },
  {
    name: "a hot spare replaces exactly one member that is down",
    members: [{}, { down: true }, { params: "status=+R" }, { params: "status=+R" }],
    requests: plain(12),
  },
  {
    name: "lbsets: the higher one only when the lower is down",
    members: [{ params: "lbset=1" }, { params: "lbset=1 loadfactor=2" }, { down: true }, { down: true, params: "status=+R" }],
    requests: plain(9),
  },
  {
    name: "ignore-errors: a member that is down stays in rotation",
    members: [{ down: true, params: "status=+I" }, {}],
    requests: plain(6),
  },
  {
    name: "every member down: 503, with forced recovery between requests",
    members: [{ down: true }, { down: true }, { down: true }],
    requests: plain(4),
  },
  {
    name: "sticky sessions: cookie and URL parameter routes among balanced requests (slots consumed)",
    members: [{ params: "loadfactor=1 route=n0" }, { params: "loadfactor=2 route=n1" }, { params: "loadfactor=3 route=n2" }],
    balancer: "stickysession=JSESSIONID|jsessionid",
    requests: [
      { path: "/x" },
      { path: "/x", cookie: "JSESSIONID=abc.n0" },
      { path: "/x" },
      { path: "/x?a=1&jsessionid=abc.n0" },
      { path: "/x;jsessionid=abc.n1" },
      { path: "/x;jsessionid%3Dabc.n0" },
      { path: "/x?jsessionid=abc.n%31" },
      { path: "/x", cookie: "a=b, JSESSIONID=abc.n0; c" },
      { path: "/x", cookie: "JSESSIONID=abc.n9" },
      { path: "/x", cookie: "JSESSIONID=abc" },
      { path: "/x", cookie: "JSESSIONID = abc.n0" },
      { path: "/x", cookie: "JSESSIONID ;JSESSIONID=abc.n0" },
      { path: "/x?jsessionid=&&x.n0", cookie: "JSESSIONID=abc.n1" },
      { path: "/x?JSESSIONID=abc.n0" },
      ...plain(5),
    ],
  },
  {
    name: "sticky sessions with scolonpathdelim and a custom separator",
    members: [{ params: "route=n0" }, { params: "route=n1" }],
    balancer: "stickysession=sid scolonpathdelim=On stickysessionsep=-",
    requests: [{ path: "/x;sid=a-n1;v=2" }, { path: "/x;sid=a.n0" }, { path: "/x", cookie: "sid=q-n0" }, ...plain(2)],
  },
  {
    name: "a route's member down: failover, route changed",
    members: [{ down: true, params: "route=n0" }, { params: "route=n1" }, { params: "route=n2" }],
    balancer: "stickysession=S",
    requests: [{ path: "/x", cookie: "S=x.n0" }, { path: "/x", cookie: "S=x.n0" }, { path: "/x", cookie: "S=x.n2" }, ...plain(3)],
  },
  {
    name: "nofailover: a route's member down → 503",
    members: [{ down: true, params: "route=n0" }, { params: "route=n1" }],
    balancer: "stickysession=S nofailover=On",
    requests: [{ path: "/x", cookie: "S=x.n0" }, { path: "/x", cookie: "S=x.n0" }, { path: "/x", cookie: "S=x.n7" }, { path: "/x", cookie: "S=x.n1" }, ...plain(2)],
  },
  {
    name: "redirect, drain and standby routes",
    members: [
      { params: "route=n0 redirect=n2 status=+D" },
      { params: "route=n1 status=+N" },
      { params: "route=n2" },
      { params: "route=n3 status=+H" },
    ],
    balancer: "stickysession=S",
    requests: [
      { path: "/x", cookie: "S=x.n0" },
      { path: "/x", cookie: "S=x.n1" },
      { path: "/x", cookie: "S=x.n3" },
      ...plain(3),
    ],
  },
];

/** Apache-style `key=value` words; on/off values as booleans. */
function words(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of (text ?? "").split(/\s+/).filter((x) => x !== "")) {
    const eq = w.indexOf("=");
    out.set(w.slice(0, eq).toLowerCase(), w.slice(eq + 1));
  }
  return out;
}

function memberOptions(params: string | undefined): MemberOptions {
  const p = words(params);
  return {
    loadfactor: p.has("loadfactor") ? Number(p.get("loadfactor")) : undefined,
    route: p.get("route"),
    redirect: p.get("redirect"),
    lbset: p.has("lbset") ? Number(p.get("lbset")) : undefined,
    status: applyStatusParam([], p.get("status") ?? ""),
  };
}

function balancerOptions(params: string | undefined): BalancerOptions {
  const p = words(params);
  const on = (k: string) => (p.has(k) ? p.get(k)!.toLowerCase() === "on" : undefined);
  const sep = p.get("stickysessionsep");
  return {
    lbmethod: p.get("lbmethod") as LbMethod | undefined,
    stickysession: p.get("stickysession"),
    stickysessionsep: sep === undefined ? undefined : sep.toLowerCase() === "off" ? null : sep,
    nofailover: on("nofailover"),
    scolonpathdelim: on("scolonpathdelim"),
  };
}

/** Our model of one request through Apache's proxy_handler loop: pick, fail over while the member is unusable. */
function modelRequest(b: Balancer<number>, down: ReadonlySet<number>, req: Req, now: number): Outcome {
  const q = req.path.indexOf("?");
  const path = decodeURIComponent(q < 0 ? req.path : req.path.slice(0, q));
  const target = sessionTarget(path, q < 0 ? null : req.path.slice(q + 1));
  const tried = new Set<Member<number>>();
  const env: Record<string, string> = {}; // Apache's subprocess_env keeps what every attempt set
  let outcome: Outcome | undefined;
  let attempts = 0;
  while (outcome === undefined) {
    const r = b.pick({ target, cookie: req.cookie ?? null }, now, tried);
    if (r.kind !== "member") {
      outcome = { status: 503, member: undefined, env: {} };
      break;
    }
    b.started(r.member);
    tried.add(r.member);
    for (const [k, v] of b.env(r)) env[k] = v;
    if (!down.has(r.member.payload)) {
      outcome = { status: 200, member: `m${r.member.payload}`, env };
      break;
    }
    r.member.markError(now);
    if (!(!r.member.usable && b.maxAttempts > attempts++)) outcome = { status: 503, member: undefined, env: {} };
  }
  for (const m of tried) b.finished(m);
  return outcome;
}

const unavailable = apacheBalancerUnavailable();
const mustRun = process.env.CI === "true";

describe("differential: balancer member selection vs Apache mod_proxy_balancer", () => {
  if (unavailable && !mustRun) {
    it.skip(`skipped: ${unavailable}`, () => {});
    return;
  }
  for (const s of SCENARIOS) {
    it(s.name, async () => {
      if (unavailable) throw new Error(`CI=true but Apache's balancer is unavailable: ${unavailable}`);
      const apache = await startApacheBalancer({ members: s.members, balancer: s.balancer });
      const theirs: Outcome[] = [];
      try {
        for (const req of s.requests) {
          theirs.push(await apache.request(req.path, req.cookie === undefined ? [] : [["Cookie", req.cookie]]));
          // Apache lowers a member's busy count in the request pool's cleanup, which can run after the client
          // has its response: give it a moment, or bybusyness sees a finished request as still in flight.
          if (s.balancer?.includes("bybusyness")) await new Promise((r) => setTimeout(r, 15));
        }
      } finally {
        await apache.close();
      }
      const members = s.members.map((m, i) => new Member(apache.memberUrls[i]!, memberOptions(m.params), i));
      const model = new Balancer("t", members, balancerOptions(s.balancer));
      const down = new Set(s.members.flatMap((m, i) => (m.down ? [i] : [])));
      const ours = s.requests.map((req) => modelRequest(model, down, req, 1_000_000));
      // Compare the sequence of members first (the readable failure), then everything.
      assert.deepEqual(ours.map((o) => o.member ?? String(o.status)), theirs.map((o) => o.member ?? String(o.status)));
      ours.forEach((o, i) => assert.deepEqual(o, theirs[i], `request ${i} (${JSON.stringify(s.requests[i])})`));
    });
  }
});

// balancer:// routes through the gateway, counting at each member: lbmethods, hot standby, sticky sessions,
// failover, failonstatus, and health checks bringing a member back.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { BalancerSet, parseBalancerMember, parseProxySet } from "../../src/config/balancers.ts";
import { parseProxyPass } from "../../src/config/proxy-pass.ts";
import { parseJsonConfig } from "../../src/config/json.ts";
import { createGateway } from "../../src/adapters/embedded.ts";
import type { Gateway } from "../../src/gateway/types.ts";
import type { LogLevel } from "../../src/gateway/log.ts";
import { serveResponder, type ResponderHandler, type ResponderServer } from "../../src/fcgi-server/server.ts";
import { sleep, TEST_INFO, waitFor } from "../helpers/harness.ts";

/** A member that answers with its own name (and the SCRIPT_FILENAME it was sent), after `delay` ms. */
function named(name: string, delay = 0, status = 200): ResponderHandler {
  return async (req, reply) => {
    if (delay) await sleep(delay);
    await reply.stdout(`Status: ${status}\r\nContent-Type: text/plain\r\nX-Script: ${req.params.get("SCRIPT_FILENAME")}\r\nX-Route-Changed: ${req.params.get("BALANCER_ROUTE_CHANGED") ?? ""}\r\n\r\n${name}`);
    reply.end();
  };
}

interface Cluster {
  gateway: Gateway;
  logs: string[];
  members: Map<string, ResponderServer & { port: number }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; name: string; script: string | null }>;
  close(): Promise<void>;
}

/**
 * Starts one backend per member and a gateway with `/app/` → balancer://c. `members` maps a name to its
 * member keys (and optionally a handler); `set` is the --proxy-set line's keys.
 */
async function cluster(members: Record<string, { keys?: string; handler?: ResponderHandler }>, set = ""): Promise<Cluster> {
  const servers = new Map<string, ResponderServer & { port: number }>();
  const balancers = new BalancerSet();
  for (const [name, spec] of Object.entries(members)) {
    const server = await serveResponder({ kind: "tcp", host: "127.0.0.1", port: 0 }, spec.handler ?? named(name));
    const port = server.endpoint.kind === "tcp" ? server.endpoint.port : 0;
    servers.set(name, Object.assign(server, { port }));
    parseBalancerMember(`balancer://c fcgi://127.0.0.1:${port}/srv/${name}/ route=${name} ${spec.keys ?? ""}`, balancers);
  }
  if (set) parseProxySet(`balancer://c ${set}`, balancers);
  const logs: string[] = [];
  const gateway = createGateway(buildGatewayConfig({
    flagRoutes: [parseProxyPass("/app/ balancer://c timeout=2")],
    flagBalancers: balancers,
    documentRoot: "/srv",
  }), { log: (_l: LogLevel, line: string) => logs.push(line) });
  return {
    gateway,
    logs,
    members: servers,
    async get(path, headers = {}) {
      const res = await gateway.fetch(new Request(`http://gw.test${path}`, { headers: { host: "gw.test", ...headers } }), TEST_INFO);
      const text = await res.text();
      return { status: res.status, name: res.status < 500 ? text : "", script: res.headers.get("x-script") };
    },
    async close() {
      await gateway.close();
      for (const s of servers.values()) await s.close();
    },
  };
}

const open: Cluster[] = [];
async function make(...args: Parameters<typeof cluster>): Promise<Cluster> {
  const c = await cluster(...args);
  open.push(c);
  return c;
}
after(async () => {
  for (const c of open) await c.close();
});

describe("balancer:// routes", () => {
  it("byrequests with loadfactors 1:2:3 follows Apache's weighted sequence over 600 requests", async () => {
    const c = await make({ a: { keys: "loadfactor=1" }, b: { keys: "loadfactor=2" }, c: { keys: "loadfactor=3" } });
    const seen: string[] = [];
    for (let i = 0; i < 600; i++) seen.push((await c.get(`/app/x.php?i=${i}`)).name);
    // mod_lbmethod_byrequests: each pick adds every member's lbfactor to its lbstatus and takes the total
    // off the chosen one; the cycle of 6 is c b a c b c (ties go to the first in configuration order).
    assert.deepEqual(seen.slice(0, 12), ["c", "b", "a", "c", "b", "c", "c", "b", "a", "c", "b", "c"]);
    for (let i = 6; i < 600; i += 6) assert.deepEqual(seen.slice(i, i + 6), seen.slice(0, 6), `cycle at ${i}`);
    assert.deepEqual(["a", "b", "c"].map((n) => seen.filter((s) => s === n).length), [100, 200, 300]);
  });

  it("sends each member its own SCRIPT_FILENAME (the member's URL, as Apache's balancer_fixup)", async () => {
    const c = await make({ a: {}, b: {} });
    const a = await c.get("/app/index.php");
    const b = await c.get("/app/index.php");
    assert.deepEqual(new Set([a.script, b.script]), new Set([
      `proxy:fcgi://127.0.0.1:${c.members.get("a")!.port}/srv/a/index.php`,
      `proxy:fcgi://127.0.0.1:${c.members.get("b")!.port}/srv/b/index.php`,
    ]));
  });

  it("bybusyness picks the idle member", async () => {
    const c = await make({ slow: { handler: named("slow", 400) }, fast: {} }, "lbmethod=bybusyness");
    const first = c.get("/app/1.php"); // byrequests tie-break: the first member, slow
    await sleep(50);
    for (let i = 0; i < 5; i++) assert.equal((await c.get(`/app/${i}.php`)).name, "fast");
    assert.equal((await first).name, "slow");
  });

  it("a hot standby serves only when every other member is down", async () => {
    const c = await make({ a: {}, b: {}, standby: { keys: "status=+H" } });
    for (let i = 0; i < 6; i++) assert.notEqual((await c.get("/app/x.php")).name, "standby");
    await c.members.get("a")!.close();
    await c.members.get("b")!.close();
    const got = new Set<string>();
    for (let i = 0; i < 4; i++) got.add((await c.get("/app/x.php")).name);
    assert.deepEqual(got, new Set(["standby"]));
  });

  it("sticky sessions hold, by cookie and by URL parameter", async () => {
    const c = await make({ n1: {}, n2: {}, n3: {} }, "stickysession=JSESSIONID|jsessionid");
    for (let i = 0; i < 5; i++) assert.equal((await c.get("/app/x.php", { cookie: "a=b; JSESSIONID=abc.n2" })).name, "n2");
    for (let i = 0; i < 5; i++) assert.equal((await c.get("/app/x.php?jsessionid=zz.n3")).name, "n3");
  });

  it("a member that refuses connections goes into error and the request fails over; nofailover refuses a sticky one", async () => {
    const c = await make({ a: {}, b: {} }, "stickysession=S");
    await c.members.get("a")!.close();
    for (let i = 0; i < 4; i++) {
      const r = await c.get("/app/x.php");
      assert.equal(r.status, 200);
      assert.equal(r.name, "b");
    }
    const stats = c.gateway.stats().routes[0]!.members!;
    assert.equal(stats[0]!.state.includes("E"), true, `member a is in error: ${stats[0]!.state}`);
    // One access line per request; the failed attempt is a warning that names the member, with no status.
    await waitFor(() => c.logs.filter((l) => / status=200 /.test(l)).length === 4, 2000, "four access lines");
    const attempt = c.logs.filter((l) => /balancer attempt failed/.test(l));
    assert.equal(attempt.length, 1, c.logs.join("\n"));
    assert.match(attempt[0]!, / warn req=[0-9a-f]{6}-1 route=\/app\/ member=fcgi:\/\/127\.0\.0\.1:\d+\/srv\/a\/ balancer attempt failed: cannot connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the FastCGI application listening there\?; member in error for 60 s$/);
    assert.doesNotMatch(attempt[0]!, /status=/);
    const firstId = /req=([0-9a-f]{6}-1) /.exec(attempt[0]!)![1];
    assert.equal(c.logs.filter((l) => l.includes(`req=${firstId} `) && / status=/.test(l)).length, 1, c.logs.join("\n"));
    // A session routed to a: failover gives b and says the route changed.
    const sticky = await c.get("/app/x.php", { cookie: "S=x.a" });
    assert.equal(sticky.name, "b");

    const strict = await make({ a: {}, b: {} }, "stickysession=S nofailover=on");
    await strict.members.get("a")!.close();
    assert.equal((await strict.get("/app/x.php", { cookie: "S=x.a" })).status, 503);
    assert.equal((await strict.get("/app/x.php", { cookie: "S=x.b" })).status, 200);
  });

  it("failonstatus puts the member that answered with it in error for later requests", async () => {
    const c = await make({ bad: { handler: named("bad", 0, 503) }, good: {} }, "failonstatus=503");
    const first = await c.get("/app/x.php");
    assert.equal(first.status, 503); // this request is not retried
    for (let i = 0; i < 4; i++) assert.equal((await c.get("/app/x.php")).name, "good");
  });

  it("a member killed mid-run fails over, and returns after `retry` once its health check passes", async () => {
    const c = await make({
      a: { keys: "retry=1 hcmethod=FCGI hcuri=/ping hcinterval=0.1 hcpasses=2" },
      b: { keys: "retry=1 hcmethod=FCGI hcuri=/ping hcinterval=0.1" },
    });
    await c.get("/app/warm.php");
    const aPort = c.members.get("a")!.port;
    await c.members.get("a")!.close();
    // Every request still succeeds while a is down.
    for (let i = 0; i < 10; i++) {
      const r = await c.get(`/app/${i}.php`);
      assert.equal(r.status, 200);
      assert.equal(r.name, "b");
    }
    await waitFor(() => c.gateway.stats().routes[0]!.members![0]!.state.includes("C"), 2000, "the health check to take a out");
    // a comes back on the same port: two passing checks bring it back into rotation.
    const again = await serveResponder({ kind: "tcp", host: "127.0.0.1", port: aPort }, named("a"));
    c.members.set("a", Object.assign(again, { port: aPort }));
    await waitFor(() => c.gateway.stats().routes[0]!.members![0]!.usable, 3000, "a to pass its health checks");
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) names.add((await c.get(`/app/${i}.php`)).name);
    assert.deepEqual(names, new Set(["a", "b"]));
    assert.ok(c.logs.some((l) => /member=.*health check failed/.test(l)));
    assert.ok(c.logs.some((l) => /back in service/.test(l)));
  });

  it("stats() reports each member's state, traffic and pool", async () => {
    const c = await make({ a: {}, b: { keys: "status=D" } });
    await c.get("/app/x.php");
    const [a, b] = c.gateway.stats().routes[0]!.members!;
    assert.equal(a!.requests, 1);
    assert.equal(a!.inFlight, 0);
    assert.ok(a!.bytesIn > 0 && a!.bytesOut > 0);
    assert.equal(a!.pool.connects, 1);
    assert.equal(b!.state, "D");
    assert.equal(b!.usable, false);
  });
});

describe("balancer configuration", () => {
  it("JSON balancers use the same keys as --balancer-member and --proxy-set", () => {
    const file = parseJsonConfig(JSON.stringify({
      balancers: {
        php: {
          lbmethod: "bybusyness",
          stickysession: "PHPSESSID",
          members: [
            { url: "fcgi://127.0.0.1:9001/srv/", loadfactor: 2, route: "one", max: 8, hcmethod: "FCGI", hcuri: "/ping", hcexpect: "200 pong" },
            { url: "unix:/run/php.sock|fcgi://localhost/srv/", status: "+H", lbset: 1 },
          ],
        },
      },
      routes: [{ path: "/", target: "balancer://php" }],
    }), "f.json");
    const cfg = buildGatewayConfig({ file });
    const b = cfg.balancers[0]!;
    assert.equal(b.name, "php");
    assert.equal(b.options.lbmethod, "bybusyness");
    assert.equal(b.members[0]!.member.loadfactor, 2);
    assert.equal(b.members[0]!.pool.max, 8);
    assert.equal(b.members[0]!.health.method, "FCGI");
    assert.match("pong", b.members[0]!.health.expectBody!);
    assert.deepEqual([...b.members[1]!.member.status!], ["H"]);
    assert.equal(b.members[1]!.member.lbset, 1);
  });

  it("refuses what cannot work, naming the place", () => {
    const sets = (...lines: string[]) => {
      const s = new BalancerSet();
      for (const l of lines) parseBalancerMember(l, s);
      return s;
    };
    assert.throws(() => buildGatewayConfig({ flagRoutes: [parseProxyPass("/ balancer://nope")] }), /balancer:\/\/nope is not defined/);
    assert.throws(() => parseProxyPass("/ balancer://c max=4"), /belongs on the balancer's members/);
    assert.throws(() => sets("balancer://c fcgi://h:1/ loadfactor=0"), /loadfactor.*1 to 100/);
    assert.throws(() => sets("balancer://c fcgi://h:1/ status=Q"), /status/);
    assert.throws(() => sets("balancer://c fcgi://h:1/ hcinterval=0.01"), /at least 100 ms/);
    assert.throws(() => sets("balancer://c fcgi://h:1/ colour=red"), /unknown key "colour"/);
    assert.throws(() => parseProxySet("balancer://c lbmethod=random", new BalancerSet()), /lbmethod.*byrequests, bybusyness, bytraffic/);
    assert.throws(() => parseJsonConfig(JSON.stringify({ balancers: { x: { members: [] } } }), "f.json"), /f\.json: balancers\.x\.members: required/);
    assert.throws(() => parseJsonConfig(JSON.stringify({ balancers: { x: { members: [{ url: "fcgi://h/", smax: -1 }] } } }), "f.json"), /balancers\.x\.members\[0\]: key "smax"/);
  });
});

// A private Apache with one `balancer://t` in front of the project's own FastCGI backends, each answering
// with its member name and the BALANCER_* variables Apache sent, so tests can record which member Apache's
// mod_proxy_balancer chose for each request. Requests go to `/b/...`; a member can be `down` (a port
// nothing listens on) to make Apache put it in error.
import { apacheUnavailable, freePort, startApache, type ApacheServer } from "./apache.ts";
import { startBackend } from "./harness.ts";
import { rawRequest } from "./raw-http.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";
import { existsSync } from "node:fs";

const MODULES = ["proxy_balancer", "slotmem_shm", "lbmethod_byrequests", "lbmethod_bybusyness", "lbmethod_bytraffic"];

export interface ApacheMemberSpec {
  /** BalancerMember parameters, e.g. `loadfactor=2 route=n1 status=+H`. */
  readonly params?: string;
  /** Nothing listens on this member's port. */
  readonly down?: boolean;
}

export interface ApacheBalancerSpec {
  /** Members in configuration order, named m0, m1, ... */
  readonly members: readonly ApacheMemberSpec[];
  /** ProxySet parameters of the balancer, e.g. `lbmethod=bybusyness stickysession=JSESSIONID`. */
  readonly balancer?: string;
}

export interface ApacheBalancerAnswer {
  readonly status: number;
  /** The member that answered (m0, m1, ...), or undefined when Apache answered itself (503 ...). */
  readonly member: string | undefined;
  /** The BALANCER_* variables the member received. */
  readonly env: Readonly<Record<string, string>>;
}

export interface ApacheBalancer {
  readonly apache: ApacheServer;
  /** The BalancerMember URLs in order (Apache's BALANCER_WORKER_NAME for each). */
  readonly memberUrls: readonly string[];
  /** Sends `GET /b<path>` with these extra headers and reports who answered. */
  request(path: string, headers?: ReadonlyArray<readonly [string, string]>): Promise<ApacheBalancerAnswer>;
  close(): Promise<void>;
}

/** Why the balancer modules cannot be used, or undefined. */
export function apacheBalancerUnavailable(): string | undefined {
  const base = apacheUnavailable();
  if (base) return base;
  for (const m of MODULES) {
    const so = `/usr/lib/apache2/modules/mod_${m}.so`;
    if (!existsSync(so)) return `${so} not found`;
  }
  return undefined;
}

export async function startApacheBalancer(spec: ApacheBalancerSpec): Promise<ApacheBalancer> {
  const backends: ResponderServer[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < spec.members.length; i++) {
      if (spec.members[i]!.down) {
        ports.push(await freePort());
        continue;
      }
      const name = `m${i}`;
      const backend = await startBackend(async (req, reply) => {
        for await (const _ of req.stdin) {
          // drain
        }
        const env: Record<string, string> = {};
        for (const [k, v] of req.params) if (k.startsWith("BALANCER_")) env[k] = v;
        await reply.stdout(`Content-Type: application/json\r\n\r\n${JSON.stringify({ member: name, env })}`);
        reply.end();
      });
      backends.push(backend);
      ports.push(backend.port);
    }
    const memberUrls = ports.map((p) => `fcgi://127.0.0.1:${p}`);
    const members = spec.members.map((m, i) => `  BalancerMember "${memberUrls[i]}" ${m.params ?? ""}`);
    const apache = await startApache({
      modules: MODULES,
      config: () =>
        [
          `<Proxy "balancer://t">`,
          ...members,
          ...(spec.balancer ? [`  ProxySet ${spec.balancer}`] : []),
          `</Proxy>`,
          `ProxyPass "/b/" "balancer://t/"`,
        ].join("\n"),
    });
    return {
      apache,
      memberUrls,
      async request(path, headers = []) {
        const head = [`GET /b${path} HTTP/1.1`, `Host: 127.0.0.1`, `Connection: close`, ...headers.map(([k, v]) => `${k}: ${v}`)];
        const res = await rawRequest(apache.port, `${head.join("\r\n")}\r\n\r\n`);
        let member: string | undefined;
        let env: Record<string, string> = {};
        if (res.status === 200) {
          const body = JSON.parse(new TextDecoder().decode(res.body)) as { member: string; env: Record<string, string> };
          member = body.member;
          env = body.env;
        }
        return { status: res.status, member, env };
      },
      async close() {
        await apache.close();
        await Promise.all(backends.map((b) => b.close()));
      },
    };
  } catch (e) {
    await Promise.all(backends.map((b) => b.close()));
    throw e;
  }
}

// Keys of a balancer member (Apache's BalancerMember parameters): its weight and place in the balancer, its
// connection pool, and its active health check. The same names on `--balancer-member` and in JSON.
import { InvalidValue } from "../errors.ts";
import type { PoolOptions } from "../pool/backend-pool.ts";
import { applyStatusParam, lbfactorOf, type MemberStatusFlag } from "../pool/balancer/member.ts";
import type { HealthOptions } from "../pool/health/health-options.ts";
import { POOL_KEYS } from "./pool-keys.ts";
import { parseChoice, parseCount, parseDuration } from "./values.ts";

export interface MemberDraft {
  loadfactor: number;
  route: string;
  redirect: string;
  lbset: number;
  status: Set<MemberStatusFlag>;
  retryMs: number;
  pool: PoolOptions;
  health: HealthOptions;
}

type KeyParser = (d: MemberDraft, text: string) => void;

const OWN_KEYS: Readonly<Record<string, KeyParser>> = {
  loadfactor: (d, t) => {
    const n = Number(t.trim());
    if (!/^\d+(\.\d+)?$/.test(t.trim()) || lbfactorOf(n) === undefined) throw new InvalidValue(`"${t}" must be a number from 1 to 100`);
    d.loadfactor = n;
  },
  route: (d, t) => { d.route = t; },
  redirect: (d, t) => { d.redirect = t; },
  lbset: (d, t) => { d.lbset = parseCount(t, 0, 99); },
  // Apache's letters: D disabled, S stopped, I ignore errors, H hot standby, R hot spare, E error, N drain.
  status: (d, t) => { d.status = applyStatusParam(d.status, t); },
  // Seconds in error before the member is tried again (Apache's default 60).
  retry: (d, t) => {
    d.retryMs = t.trim() === "0" ? 0 : parseDuration(t, "s");
    d.pool = { ...d.pool, retryMs: d.retryMs };
  },
  hcmethod: (d, t) => { d.health = { ...d.health, method: parseChoice(t, ["NONE", "TCP", "FCGI"] as const, true) }; },
  hcuri: (d, t) => {
    if (!t.startsWith("/")) throw new InvalidValue(`"${t}" must start with "/"`);
    d.health = { ...d.health, uri: t };
  },
  // `200`, `200,204`, or a status list and a body pattern: `200 ^pong$`.
  hcexpect: (d, t) => {
    const m = /^(\d{3}(?:,\d{3})*)?(?:\s+(.+))?$/.exec(t.trim());
    if (!m || (!m[1] && !m[2])) throw new InvalidValue(`"${t}" must be status codes (200,204) and/or a body pattern after a space`);
    let body: RegExp | undefined;
    try {
      body = m[2] ? new RegExp(m[2]) : undefined;
    } catch (e) {
      throw new InvalidValue(`"${m[2]}": ${(e as Error).message}`);
    }
    d.health = { ...d.health, expectStatus: m[1] ? m[1].split(",").map(Number) : [], expectBody: body };
  },
  hcinterval: (d, t) => {
    const ms = parseDuration(t, "s");
    if (ms < 100) throw new InvalidValue(`"${t}" must be at least 100 ms (mod_proxy_hcheck's minimum)`);
    d.health = { ...d.health, intervalMs: ms };
  },
  hcpasses: (d, t) => { d.health = { ...d.health, passes: parseCount(t, 1) }; },
  hcfails: (d, t) => { d.health = { ...d.health, fails: parseCount(t, 1) }; },
};

export const MEMBER_KEYS: Readonly<Record<string, KeyParser>> = { ...POOL_KEYS, ...OWN_KEYS };

export function applyMemberKey(draft: MemberDraft, key: string, text: string): void {
  const parser = Object.hasOwn(MEMBER_KEYS, key) ? MEMBER_KEYS[key] : undefined;
  if (!parser) throw new InvalidValue(`unknown key "${key}" (known: ${Object.keys(MEMBER_KEYS).join(", ")})`);
  try {
    parser(draft, text);
  } catch (problem) {
    throw new InvalidValue(`key "${key}": ${problem instanceof Error ? problem.message : String(problem)}`);
  }
}

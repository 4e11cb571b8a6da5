// Balancers: `--balancer-member "balancer://name fcgi://host:port/path [key=value ...]"` (Apache's
// BalancerMember), `--proxy-set "balancer://name key=value ..."` (ProxySet), and the JSON file's
// `"balancers": { "name": { ...balancer keys, "members": [ { "url", ...member keys } ] } }`.
import { POOL_DEFAULTS } from "../pool/backend-pool.ts";
import { MEMBER_DEFAULTS } from "../pool/balancer/member.ts";
import { HEALTH_DEFAULTS } from "../pool/health/health-options.ts";
import { applyBalancerKey, type BalancerDraft } from "./balancer-keys.ts";
import { ConfigError } from "../errors.ts";
import { applyMemberKey, type MemberDraft } from "./member-keys.ts";
import { POOL_KEYS, writtenPoolKey } from "./pool-keys.ts";
import { parseBalancerName, parseTarget } from "./target.ts";
import type { BalancerConfig, MemberConfig } from "./types.ts";

/** Balancers as they are being assembled from several sources, in the order they were named. */
export class BalancerSet {
  readonly #balancers = new Map<string, { options: BalancerDraft; members: MemberConfig[] }>();

  #get(name: string) {
    let b = this.#balancers.get(name);
    if (!b) this.#balancers.set(name, (b = { options: {}, members: [] }));
    return b;
  }

  addMember(name: string, member: MemberConfig): void {
    this.#get(name).members.push(member);
  }

  set(name: string, key: string, text: string, where: string): void {
    try {
      applyBalancerKey(this.#get(name).options, key, text);
    } catch (problem) {
      throw ConfigError.at(where, problem);
    }
  }

  has(name: string): boolean {
    return this.#balancers.has(name);
  }

  /** Flags and file together: the flags' members first, the flags' balancer keys over the file's. */
  static combine(flags: BalancerSet, file: BalancerSet | undefined): BalancerSet {
    const out = new BalancerSet();
    for (const source of file ? [flags, file] : [flags]) {
      for (const [name, b] of source.#balancers) out.#get(name).members.push(...b.members);
    }
    for (const source of file ? [file, flags] : [flags]) {
      for (const [name, b] of source.#balancers) Object.assign(out.#get(name).options, b.options);
    }
    return out;
  }

  build(): BalancerConfig[] {
    return [...this.#balancers].map(([name, b]) => {
      if (b.members.length === 0) throw new ConfigError(`balancer://${name}`, "has no members (add --balancer-member lines or \"members\")");
      return { name, options: { ...b.options }, members: b.members };
    });
  }
}

export function parseBalancerMember(line: string, into: BalancerSet, where = `--balancer-member "${line}"`): void {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length < 2) throw new ConfigError(where, "expected balancer://NAME and a member URL");
  const [balancer, url, ...keys] = words as [string, string, ...string[]];
  const name = named(balancer, where);
  into.addMember(name, buildMember(url, keys.map((w) => splitKey(w, where)), where));
}

export function parseProxySet(line: string, into: BalancerSet, where = `--proxy-set "${line}"`): void {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length < 2) throw new ConfigError(where, "expected balancer://NAME and key=value pairs");
  const [balancer, ...keys] = words as [string, ...string[]];
  const name = named(balancer, where);
  for (const w of keys) {
    const [k, v] = splitKey(w, where);
    into.set(name, k, v, where);
  }
}

/** One member from its URL and key/value pairs. */
export function buildMember(url: string, keys: ReadonlyArray<readonly [string, string]>, where: string): MemberConfig {
  const draft: MemberDraft = {
    ...MEMBER_DEFAULTS,
    status: new Set(),
    pool: POOL_DEFAULTS,
    health: HEALTH_DEFAULTS,
  };
  let target;
  try {
    target = parseTarget(url);
    for (const [k, v] of keys) applyMemberKey(draft, k, v);
  } catch (problem) {
    throw ConfigError.at(where, problem);
  }
  const { pool, health, ...member } = draft;
  return { target, member, pool, poolKeys: keys.filter(([k]) => Object.hasOwn(POOL_KEYS, k)).map(([k, v]) => writtenPoolKey(k, v)), health };
}

function named(text: string, where: string): string {
  try {
    return parseBalancerName(text);
  } catch (problem) {
    throw ConfigError.at(where, problem);
  }
}

function splitKey(word: string, where: string): [string, string] {
  const eq = word.indexOf("=");
  if (eq <= 0) throw new ConfigError(where, `"${word}" is not a key=value pair`);
  return [word.slice(0, eq).toLowerCase(), word.slice(eq + 1)];
}

// Apache's proxy_handler loop over a balancer (mod_proxy.c): pick a member; when connecting to it fails (nothing
// was sent, so this is always safe), put it in error and pick another, up to maxattempts.
import { ServiceUnavailable } from "../../errors.ts";
import { sessionTarget, type Balancer } from "./balancer.ts";
import type { Member } from "./member.ts";

/** One try on a member: a result, or undefined when its connect failed and failedConnect() said go on. */
export type MemberAttempt<P, R> = (member: Member<P>, env: ReadonlyArray<readonly [string, string]>, attempt: number) => Promise<R | undefined>;

/**
 * Runs `attempt` on members the balancer picks until one gives a result. Throws ServiceUnavailable when no
 * member is usable. `path` is the decoded request path, `query` the raw query or null (see sessionTarget).
 */
export async function failover<P, R>(
  balancer: Balancer<P>,
  path: string,
  query: string | null,
  cookie: string | null,
  attempt: MemberAttempt<P, R>,
): Promise<R> {
  const tried = new Set<Member<P>>();
  const session = sessionTarget(path, query);
  // Apache keeps what every attempt set (BALANCER_ROUTE_CHANGED from an earlier one stays).
  const env = new Map<string, string>();
  for (let n = 0; ; n++) {
    const pick = balancer.pick({ target: session, cookie }, Date.now(), tried);
    if (pick.kind !== "member") {
      throw new ServiceUnavailable(pick.reason === "nofailover"
        ? `${balancer.url}: the session's member is unavailable and nofailover is on`
        : `${balancer.url}: no usable member`);
    }
    const member = pick.member;
    balancer.started(member);
    tried.add(member);
    for (const [k, v] of balancer.env(pick)) env.set(k, v);
    const result = await attempt(member, [...env], n);
    if (result !== undefined) return result;
  }
}

/** A failed connect to `member` on attempt `n` (0-based): it goes in error; may another member be tried? */
export function failedConnect<P>(balancer: Balancer<P>, member: Member<P>, n: number): { readonly inError: boolean; readonly tryAnother: boolean } {
  const inError = member.markError(Date.now());
  return { inError, tryAnother: !member.usable && n < balancer.maxAttempts };
}

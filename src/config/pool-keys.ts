// Connection-pool keys (Apache's worker parameters), the same on a `--proxy-pass` route and a balancer member.
import type { PoolOptions } from "../pool/backend-pool.ts";
import type { WrittenPoolKey } from "./types.ts";
import { parseChoice, parseCount, parseDuration, parseOnOff } from "./values.ts";

type PoolDraft = { pool: PoolOptions };


export const POOL_KEYS: Readonly<Record<string, (d: PoolDraft, text: string) => void>> = {
  // Reuse is on by default: a deliberate difference from Apache 2.4, whose fcgi workers reuse only with
  // enablereuse=on (older mod_proxy_fcgi documentation described reuse as the default).
  enablereuse: (d, t) => { d.pool = { ...d.pool, reuse: parseOnOff(t) }; },
  disablereuse: (d, t) => { d.pool = { ...d.pool, reuse: !parseOnOff(t) }; },
  max: (d, t) => { d.pool = { ...d.pool, max: parseCount(t, 1), maxSet: true }; },
  // FCGI_GET_VALUES, asked only when reusing. Off for backends that die on it (Debian's Ruby fcgi library).
  "get-values": (d, t) => { d.pool = { ...d.pool, probe: parseOnOff(t) }; },
  // Seconds a request may wait for its first byte before released connections close instead of idling.
  "starve-after": (d, t) => { d.pool = { ...d.pool, starveAfterMs: parseDuration(t, "s") }; },
  smax: (d, t) => { d.pool = { ...d.pool, smax: parseCount(t, 0) }; },
  ttl: (d, t) => { d.pool = { ...d.pool, ttlMs: parseDuration(t, "s") }; },
  acquire: (d, t) => { d.pool = { ...d.pool, acquireMs: parseDuration(t, "ms") }; },
  // Seconds a balancer member stays in error; no effect on a plain route (Apache never puts a lone worker in
  // error). It also paces retries of a failed FCGI_GET_VALUES probe.
  retry: (d, t) => { d.pool = { ...d.pool, retryMs: t.trim() === "0" ? 0 : parseDuration(t, "s") }; },
  "mpx-max": (d, t) => { d.pool = { ...d.pool, mpxMax: parseCount(t, 1) }; },
  // Accepted for Apache compatibility; responses always stream unbuffered, so there is nothing to flush.
  flushpackets: (_d, t) => { parseChoice(t, ["on", "off", "auto"] as const); },
  flushwait: (_d, t) => { parseCount(t, 0, 1000); },
};

/** A written pool key with the options it sets (parsed once here, compared by the gateway). */
export function writtenPoolKey(key: string, text: string): WrittenPoolKey {
  const draft: PoolDraft = { pool: {} as PoolOptions };
  POOL_KEYS[key]!(draft, text);
  return { key, text, sets: draft.pool };
}

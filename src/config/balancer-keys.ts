// Balancer keys (Apache's ProxySet on a balancer://): how members are chosen and what a failure does.
import { InvalidValue } from "../errors.ts";
import type { BalancerOptions } from "../pool/balancer/balancer.ts";
import { LB_METHODS } from "../pool/balancer/lbmethods.ts";
import { parseStickySession } from "../pool/balancer/sticky.ts";
import { parseChoice, parseCount, parseOnOff } from "./values.ts";

export type BalancerDraft = { -readonly [K in keyof BalancerOptions]: BalancerOptions[K] };

type KeyParser = (d: BalancerDraft, text: string) => void;

export const BALANCER_KEYS: Readonly<Record<string, KeyParser>> = {
  lbmethod: (d, t) => { d.lbmethod = parseChoice(t, LB_METHODS); },
  // `NAME`, or `COOKIE|PARAM`: the cookie and the URL parameter whose value ends in `.route`.
  stickysession: (d, t) => {
    parseStickySession(t);
    d.stickysession = t;
  },
  stickysessionsep: (d, t) => {
    if (t.toLowerCase() === "off") d.stickysessionsep = null;
    else if (t.length === 1) d.stickysessionsep = t;
    else throw new InvalidValue(`"${t}" must be one character or Off`);
  },
  scolonpathdelim: (d, t) => { d.scolonpathdelim = parseOnOff(t); },
  nofailover: (d, t) => { d.nofailover = parseOnOff(t); },
  forcerecovery: (d, t) => { d.forcerecovery = parseOnOff(t); },
  maxattempts: (d, t) => { d.maxattempts = parseCount(t, 0); },
  // Statuses that put the member that answered in error (for later requests), e.g. `503,500`.
  failonstatus: (d, t) => {
    if (!/^\d{3}(,\d{3})*$/.test(t.trim())) throw new InvalidValue(`"${t}" must be status codes separated by commas`);
    d.failonstatus = t.trim().split(",").map(Number);
  },
};

export function applyBalancerKey(draft: BalancerDraft, key: string, text: string): void {
  const parser = Object.hasOwn(BALANCER_KEYS, key) ? BALANCER_KEYS[key] : undefined;
  if (!parser) throw new InvalidValue(`unknown key "${key}" (known: ${Object.keys(BALANCER_KEYS).join(", ")})`);
  try {
    parser(draft, text);
  } catch (problem) {
    throw new InvalidValue(`key "${key}": ${problem instanceof Error ? problem.message : String(problem)}`);
  }
}

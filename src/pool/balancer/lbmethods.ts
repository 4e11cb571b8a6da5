// The load-balancing methods as Apache 2.4 computes them: each is the `is_best` test the shared member scan
// (best-member.ts) offers every candidate to, in scan order, plus what happens to the one chosen.
// Reference: modules/proxy/balancers/mod_lbmethod_{byrequests,bybusyness,bytraffic}.c.
import type { Member } from "./member.ts";

export type LbMethod = "byrequests" | "bybusyness" | "bytraffic";
export const LB_METHODS: readonly LbMethod[] = ["byrequests", "bybusyness", "bytraffic"];

/** One selection's worth of state; `begin` resets it, so one instance serves every pick of a balancer. */
export interface LbChooser {
  begin(): void;
  /** Is `current` better than `best` (undefined: none yet)? May update `current`'s lbstatus. */
  isBest(current: Member<unknown>, best: Member<unknown> | undefined): boolean;
  /** Called once with the member the scan settled on. */
  chosen(member: Member<unknown>): void;
}

/**
 * byrequests: every candidate offered earns its weight (lbstatus += lbfactor, total += lbfactor); the
 * strictly greatest lbstatus wins, so ties go to the first in scan order; the winner pays the total back.
 */
class ByRequests implements LbChooser {
  total = 0;
  begin(): void {
    this.total = 0;
  }
  isBest(current: Member<unknown>, best: Member<unknown> | undefined): boolean {
    current.lbstatus += current.lbfactor;
    this.total += current.lbfactor;
    return best === undefined || current.lbstatus > best.lbstatus;
  }
  chosen(member: Member<unknown>): void {
    member.lbstatus -= this.total;
  }
}

/** bybusyness: fewest requests in flight; equal busyness falls back to byrequests' lbstatus rule. */
class ByBusyness extends ByRequests {
  override isBest(current: Member<unknown>, best: Member<unknown> | undefined): boolean {
    current.lbstatus += current.lbfactor;
    this.total += current.lbfactor;
    return best === undefined || current.busy < best.busy || (current.busy === best.busy && current.lbstatus > best.lbstatus);
  }
}

/**
 * bytraffic: the least traffic per weight, bytes written / lbfactor + bytes read / lbfactor, each an integer
 * division (lbfactor is the weight ×100); ties go to the first in scan order.
 */
class ByTraffic implements LbChooser {
  min = 0;
  begin(): void {
    this.min = 0;
  }
  isBest(current: Member<unknown>, best: Member<unknown> | undefined): boolean {
    const traffic = Math.trunc(current.bytesWritten / current.lbfactor) + Math.trunc(current.bytesRead / current.lbfactor);
    if (best === undefined || traffic < this.min) {
      this.min = traffic;
      return true;
    }
    return false;
  }
  chosen(): void {}
}

export function createLbChooser(method: LbMethod): LbChooser {
  switch (method) {
    case "byrequests":
      return new ByRequests();
    case "bybusyness":
      return new ByBusyness();
    case "bytraffic":
      return new ByTraffic();
  }
}

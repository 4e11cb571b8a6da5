// The member scan every lbmethod shares (Apache 2.4 proxy_util.c, proxy_balancer_get_best_worker): lbsets in
// ascending order, stopping at the first that yields a member; within one, in configuration order, usable
// members are offered to the lbmethod, hot spares (R) stand in for at most as many members as are unusable,
// and hot standbys (H) are offered only when nothing else was chosen. Draining members (N) take no new
// requests and count as unusable unless they are spares or standbys.
import type { LbChooser } from "./lbmethods.ts";
import type { Member } from "./member.ts";

/**
 * Chooses a member, or undefined. `skip` holds members to treat as unusable for this choice (those already
 * tried for the request: Apache would have put them in error). Retries members in error as it meets them.
 */
export function bestMember<T>(
  members: readonly Member<T>[],
  chooser: LbChooser,
  now: number,
  skip: ReadonlySet<Member<T>> | undefined,
): Member<T> | undefined {
  chooser.begin();
  let best: Member<T> | undefined;
  const spares: Member<T>[] = [];
  const standbys: Member<T>[] = [];
  let maxLbset = 0;
  for (let lbset = 0; best === undefined && lbset <= maxLbset; lbset++) {
    let unusable = 0;
    spares.length = 0;
    standbys.length = 0;
    for (const m of members) {
      if (m.lbset > maxLbset) maxLbset = m.lbset;
      if (m.lbset !== lbset) continue;
      const spare = m.has("R");
      const standby = m.has("H");
      if (m.has("N")) {
        if (!spare && !standby) unusable++;
        continue;
      }
      const usable = m.isUsable(now) && !skip?.has(m);
      if (spare) {
        if (usable) spares.push(m);
      } else if (standby) {
        if (usable) standbys.push(m);
      } else if (usable) {
        if (chooser.isBest(m, best)) best = m;
      } else {
        unusable++;
      }
    }
    for (let i = 0; i < spares.length && i < unusable; i++) {
      if (chooser.isBest(spares[i]!, best)) best = spares[i];
    }
    if (best === undefined) {
      for (const s of standbys) if (chooser.isBest(s, best)) best = s;
    }
  }
  if (best !== undefined) chooser.chosen(best);
  return best;
}

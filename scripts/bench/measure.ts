// One measured step: the proxy's process-tree CPU time and peak memory around an async action.
import { RssSampler, cpuSecondsBetween, cpuTicks, machineCpu, peakRssBytes, resetPeakRss, rssBytes } from "./proc-stats.ts";
import { max } from "./stats.ts";

export interface Measured<T> {
  readonly value: T;
  readonly cpuS: number;
  /** Resident bytes of the tree right before the action. */
  readonly rssBefore: number;
  /** The highest resident bytes during the action (VmHWM after a reset, and/or sampled). */
  readonly peakRss: number;
  /**
   * Cores that processes NOT started by this benchmark kept busy on average during the action (machine busy
   * time minus this process's tree, wrk included once reaped), and cores stolen by the hypervisor: noise.
   */
  readonly otherCores: number;
  readonly stealCores: number;
}

/**
 * Runs `action` while watching the tree rooted at `pid`. `sample` adds RSS sampling every 100 ms, for long
 * actions where VmHWM cannot be reset (another user's process) or as a cross-check.
 */
export async function measured<T>(pid: number, action: () => Promise<T>, sample = false): Promise<Measured<T>> {
  const rssBefore = rssBytes(pid);
  const hwm = resetPeakRss(pid);
  const sampler = sample || !hwm ? new RssSampler(pid, 100) : undefined;
  const ours0 = cpuTicks(process.pid);
  const machine0 = machineCpu();
  const t0 = performance.now();
  const before = cpuTicks(pid);
  const value = await action();
  const after = cpuTicks(pid);
  const wallS = (performance.now() - t0) / 1000;
  const machine1 = machineCpu();
  const ours = cpuSecondsBetween(ours0, cpuTicks(process.pid));
  const sampled = sampler?.stop() ?? NaN;
  const peakRss = max([hwm ? peakRssBytes(pid) : NaN, sampled, rssBytes(pid)]);
  return {
    value,
    cpuS: cpuSecondsBetween(before, after),
    rssBefore,
    peakRss,
    otherCores: Math.max(0, machine1.busyS - machine0.busyS - ours) / wallS,
    stealCores: (machine1.stealS - machine0.stealS) / wallS,
  };
}

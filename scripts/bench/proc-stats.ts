// CPU time and memory of a process tree, read from /proc (Linux). A proxy's cost is the sum over the process
// and its descendants: nginx's master and worker, Apache's parent and children.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

/** Clock ticks per second of utime/stime in /proc/PID/stat; USER_HZ is 100 on every Linux we run on. */
export const CLOCK_TICKS = 100;

interface StatLine {
  readonly ppid: number;
  /** utime + stime + cutime + cstime: children that exited and were reaped still count. */
  readonly ticks: number;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces: the fields that follow start after the last ")".
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state); ppid is field 4, utime..cstime are fields 14..17 (proc(5)).
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** The pid and all its descendants that are alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    const st = readStat(pid);
    if (!st) continue;
    let list = children.get(st.ppid);
    if (!list) children.set(st.ppid, (list = []));
    list.push(pid);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    for (const child of children.get(pid) ?? []) todo.push(child);
  }
  return out;
}

/** CPU ticks per pid of the tree, to be compared with a later reading. */
export function cpuTicks(root: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of processTree(root)) {
    const st = readStat(pid);
    if (st) out.set(pid, st.ticks);
  }
  return out;
}

/** CPU seconds the tree used between two readings; processes born in between count from zero. */
export function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return ticks / CLOCK_TICKS;
}

/** Machine-wide CPU seconds from /proc/stat: busy (all but idle and iowait) and stolen by the hypervisor. */
export function machineCpu(): { busyS: number; stealS: number } {
  const f = readFileSync("/proc/stat", "latin1").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return { busyS: busy / CLOCK_TICKS, stealS: f[7]! / CLOCK_TICKS };
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "latin1");
  } catch {
    return 0;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resident bytes of the tree now. */
export function rssBytes(root: number): number {
  let sum = 0;
  for (const pid of processTree(root)) sum += statusField(pid, "VmRSS");
  return sum;
}

/** Sum over the tree of each process's peak resident bytes (VmHWM) since its last reset. */
export function peakRssBytes(root: number): number {
  let sum = 0;
  for (const pid of processTree(root)) sum += statusField(pid, "VmHWM");
  return sum;
}

/**
 * Resets VmHWM to the current RSS for every process of the tree (writing 5 to clear_refs, Linux ≥ 4.0), so
 * that the next peak belongs to the run that follows. False when not allowed (another user's process).
 */
export function resetPeakRss(root: number): boolean {
  let ok = true;
  for (const pid of processTree(root)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {
      ok = false;
    }
  }
  return ok;
}

/**
 * Samples the tree's RSS every `intervalMs` until stopped: the peak where VmHWM cannot be reset, and a
 * check on it where it can.
 */
export class RssSampler {
  #max = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  constructor(root: number, intervalMs = 100) {
    // The tree is read once: scanning /proc on every sample would cost more than the sample.
    const pids = processTree(root);
    const sample = () => {
      let v = 0;
      for (const pid of pids) v += statusField(pid, "VmRSS");
      if (v > this.#max) this.#max = v;
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }
  stop(): number {
    clearInterval(this.#timer);
    return this.#max;
  }
}

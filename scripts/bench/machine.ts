// The machine and software a run measured, for the report.
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, release, totalmem } from "node:os";
import type { Tools } from "./prereqs.ts";
import { runCommand } from "./procs.ts";

export interface MachineInfo {
  readonly date: string;
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly loadAvgBefore: readonly number[];
  /** proxy-fcgi's git commit. */
  readonly revision: string;
  readonly versions: Readonly<Record<string, string>>;
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function version(command: string, args: string[], pattern: RegExp): Promise<string> {
  const r = await runCommand(command, args, { timeoutMs: 20_000 });
  const m = pattern.exec(`${r.stdout}\n${r.stderr}`);
  return m?.[1]?.trim() ?? "unknown";
}

/** The commit measured, and whether src/ had uncommitted changes (the numbers then belong to those). */
async function sourceRevision(root: string): Promise<string> {
  const head = await runCommand("git", ["-C", root, "rev-parse", "--short", "HEAD"], { timeoutMs: 10_000 });
  if (head.code !== 0) return "unknown (not a git checkout)";
  const dirty = await runCommand("git", ["-C", root, "status", "--porcelain", "--", "src"], { timeoutMs: 10_000 });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? " with uncommitted changes in src/" : ""}`;
}

export async function machineInfo(tools: Tools, root: string): Promise<MachineInfo> {
  const [revision, nginx, apache, php, deno, bun, wrk, cc, libfcgi] = await Promise.all([
    sourceRevision(root),
    version(tools.nginx, ["-v"], /nginx version: (\S+)/),
    version(tools.apache, ["-v"], /Server version: (.+)/),
    version(tools.phpFpm, ["-v"], /^(PHP \S+)/m),
    version(tools.deno, ["--version"], /^(deno \S+)/m),
    version(tools.bun, ["--version"], /^(\S+)/),
    version(tools.wrk, ["--version"], /^(wrk \S+)/m),
    version(tools.cc, ["--version"], /^(.+)$/m),
    version("dpkg-query", ["-W", "-f", "${Version}", "libfcgi-dev"], /^(\S+)/),
  ]);
  return {
    date: new Date().toISOString(),
    cores: availableParallelism(),
    cpu: cpuModel(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    os: osName(),
    loadAvgBefore: loadavg().map((x) => Math.round(x * 100) / 100),
    revision,
    versions: { nginx, apache, php, node: process.version, deno, bun: `bun ${bun}`, wrk, cc, libfcgi: `libfcgi ${libfcgi}` },
  };
}

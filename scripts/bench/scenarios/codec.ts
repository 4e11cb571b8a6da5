// Runs scripts/bench/codec.ts on each runtime (Node: its esbuild bundle) and collects the JSON it prints.
import { join } from "node:path";
import type { BenchOptions } from "../options.ts";
import type { Tools } from "../prereqs.ts";
import { BASE_ENV, runCommand } from "../procs.ts";
import { runtimeCommand, type GatewayRuntime } from "../proxy/gateway.ts";
import type { CodecRow } from "../results.ts";
import { say } from "./wrk-scenario.ts";

export async function runCodec(
  runtimes: readonly GatewayRuntime[],
  tools: Tools,
  root: string,
  codecBundle: string,
  opts: BenchOptions,
): Promise<CodecRow[]> {
  const rows: CodecRow[] = [];
  for (const runtime of runtimes) {
    const { command, args } = runtimeCommand(runtime, tools, join(root, "scripts/bench/codec.ts"), runtime === "node" || opts.bundleForAll ? codecBundle : undefined);
    args.push("--bytes", String(opts.codecBytes));
    const r = await runCommand(command, args, { timeoutMs: 180_000, cwd: root, env: { ...BASE_ENV, HOME: process.env.HOME ?? "/root", NO_COLOR: "1" } });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    if (r.code !== 0 || !line.startsWith("{")) {
      say(`codec: ${runtime} failed (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
      continue;
    }
    const row = JSON.parse(line) as CodecRow;
    say(
      `codec: ${runtime.padEnd(5)} encode ${(row.encode.nsPerHead / 1000).toFixed(2)} µs per 30-variable head (${row.encode.bytes} B), ` +
        `decode ${row.decode64k.gbPerS.toFixed(1)} GB/s (64 KiB records), ${row.decode8k.gbPerS.toFixed(1)} GB/s (8 KiB records)`,
    );
    const fc = row.fastcgiClient;
    if (fc) {
      say(
        `codec: ${runtime.padEnd(5)} fastcgi-client ${fc.version}: stringifykv ${(fc.encode.nsPerCall / 1000).toFixed(2)} µs (${fc.encode.bytes} B of pairs only` +
          `${fc.samePairs ? ", same pairs as ours" : ", pairs DIFFER from ours"}), decode ${fc.decode64k.gbPerS.toFixed(1)} GB/s (64 KiB), ${fc.decode8k.gbPerS.toFixed(1)} GB/s (8 KiB)`,
      );
    } else if (fc === null) {
      say(`codec: ${runtime.padEnd(5)} fastcgi-client not measured: ${row.fastcgiClientError ?? "no reason given"}`);
    }
    rows.push(row);
  }
  return rows;
}

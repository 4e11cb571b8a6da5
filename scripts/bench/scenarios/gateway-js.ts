// Runs scripts/bench/gateway-js.ts on each runtime (Node: its esbuild bundle) and collects the JSON it prints.
import { join } from "node:path";
import type { BenchOptions } from "../options.ts";
import type { Tools } from "../prereqs.ts";
import { BASE_ENV, runCommand } from "../procs.ts";
import { runtimeCommand, type GatewayRuntime } from "../proxy/gateway.ts";
import type { GatewayJsRow, GatewayJsVariant } from "../results.ts";
import { say } from "./wrk-scenario.ts";

const ROUNDS = 3;

export async function runGatewayJs(
  runtimes: readonly GatewayRuntime[],
  tools: Tools,
  root: string,
  gatewayJsBundle: string,
  opts: BenchOptions,
): Promise<GatewayJsRow[]> {
  const rows: GatewayJsRow[] = [];
  // Two variants, each a 1 s warm-up and ROUNDS rounds, plus start-up.
  const timeoutMs = (2 * (1 + ROUNDS * opts.jsSeconds) + 60) * 1000;
  for (const runtime of runtimes) {
    const { command, args } = runtimeCommand(runtime, tools, join(root, "scripts/bench/gateway-js.ts"), runtime === "node" || opts.bundleForAll ? gatewayJsBundle : undefined);
    args.push("--seconds", String(opts.jsSeconds), "--rounds", String(ROUNDS));
    const r = await runCommand(command, args, { timeoutMs, cwd: root, env: { ...BASE_ENV, HOME: process.env.HOME ?? "/root", NO_COLOR: "1" } });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    if (r.code !== 0 || !line.startsWith("{")) {
      say(`gateway JS: ${runtime} failed (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
      continue;
    }
    const row = JSON.parse(line) as GatewayJsRow;
    const show = (v: GatewayJsVariant | undefined) =>
      v ? `${v.usPerReq.toFixed(1)} µs/req (rounds ${v.rounds.map((x) => x.toFixed(1)).join(", ")}), ${Math.round(v.rps)} req/s` : "–";
    say(`gateway JS: ${runtime.padEnd(5)} plain ${show(row.plain)}; Fetch Request ${show(row.fetch)}`);
    rows.push(row);
  }
  return rows;
}

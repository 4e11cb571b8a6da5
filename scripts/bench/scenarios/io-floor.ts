// Runs scripts/bench/io-floor.ts on each runtime (Node: its esbuild bundle) against the hello backend and collects
// the JSON line it prints: the CPU of one request and answer over a kept backend socket through our transport.
import { join } from "node:path";
import { HOST } from "../net.ts";
import type { BenchOptions } from "../options.ts";
import type { Tools } from "../prereqs.ts";
import { BASE_ENV, runCommand } from "../procs.ts";
import { runtimeCommand, type GatewayRuntime } from "../proxy/gateway.ts";
import type { Upstream } from "../proxy/types.ts";
import type { IoFloorRow } from "../results.ts";
import { say } from "./wrk-scenario.ts";

const ROUNDS = 3;

export async function runIoFloor(
  runtimes: readonly GatewayRuntime[],
  tools: Tools,
  root: string,
  ioFloorBundle: string,
  hello: Upstream,
  opts: BenchOptions,
): Promise<IoFloorRow[]> {
  const rows: IoFloorRow[] = [];
  // A 1 s warm-up and ROUNDS rounds, plus start-up and the wind-down.
  const timeoutMs = (1 + ROUNDS * opts.jsSeconds + 60) * 1000;
  for (const runtime of runtimes) {
    const { command, args } = runtimeCommand(runtime, tools, join(root, "scripts/bench/io-floor.ts"), runtime === "node" || opts.bundleForAll ? ioFloorBundle : undefined);
    // As many connections as the proxies hold to the hello backend, which has threads to spare for them.
    args.push(`${HOST}:${hello.port}`, "--seconds", String(opts.jsSeconds), "--conns", String(hello.conns), "--rounds", String(ROUNDS));
    const r = await runCommand(command, args, { timeoutMs, cwd: root, env: { ...BASE_ENV, HOME: process.env.HOME ?? "/root", NO_COLOR: "1" } });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    if (r.code !== 0 || !line.startsWith("{")) {
      say(`backend round trip: ${runtime} failed (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
      continue;
    }
    const row = JSON.parse(line) as IoFloorRow;
    say(`backend round trip: ${runtime.padEnd(5)} ${row.usPerRoundTrip.toFixed(1)} µs CPU (rounds ${row.rounds.map((x) => x.toFixed(1)).join(", ")}), ` +
      `${Math.round(row.roundTripsPerS)} round trips/s`);
    rows.push(row);
  }
  return rows;
}

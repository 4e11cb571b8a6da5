// The runtime floor: each runtime's serve() adapter answering "hello" itself (scripts/bench/floor-server.ts),
// driven like the tiny GET. What proxy-fcgi costs above this row is the gateway's own work.
import { join } from "node:path";
import { measured } from "../measure.ts";
import { HOST, freePort, waitForPort } from "../net.ts";
import type { BenchOptions } from "../options.ts";
import type { Tools } from "../prereqs.ts";
import { BASE_ENV, startProcess, type Proc } from "../procs.ts";
import { runtimeCommand, type GatewayRuntime } from "../proxy/gateway.ts";
import type { FloorRow } from "../results.ts";
import { max, median } from "../stats.ts";
import { runWrk, type WrkResult } from "../wrk.ts";
import { pause, say } from "./wrk-scenario.ts";

export async function runFloor(
  runtimes: readonly GatewayRuntime[],
  tools: Tools,
  root: string,
  floorBundle: string,
  opts: BenchOptions,
): Promise<FloorRow[]> {
  const servers: Array<{ runtime: GatewayRuntime; port: number; proc: Proc }> = [];
  try {
    for (const runtime of runtimes) {
      const port = await freePort();
      const { command, args } = runtimeCommand(runtime, tools, join(root, "scripts/bench/floor-server.ts"), runtime === "node" || opts.bundleForAll ? floorBundle : undefined);
      args.push(`${HOST}:${port}`);
      const proc = startProcess({ name: `floor-${runtime}`, command, args, cwd: root, env: { ...BASE_ENV, HOME: process.env.HOME ?? "/root", NO_COLOR: "1" } });
      await waitForPort(port, proc, 30_000);
      servers.push({ runtime, port, proc });
    }
    const wrkOpts = (durationS: number) => ({ threads: opts.wrkThreads, connections: opts.connections, durationS });
    for (const s of servers) await runWrk(tools.wrk, wrkOpts(opts.warmupS), s.port, "/");
    const runs = new Map<GatewayRuntime, Array<{ wrk: WrkResult; cpuUs: number; peakRss: number }>>();
    for (let pair = 0; pair < opts.pairs; pair++) {
      for (const s of servers) {
        await pause(200);
        const m = await measured(s.proc.pid, () => runWrk(tools.wrk, wrkOpts(opts.durationS), s.port, "/"));
        const cpuUs = (m.cpuS * 1e6) / m.value.requests;
        say(`floor: ${s.runtime.padEnd(5)} ${Math.round(m.value.rps)} req/s, ${cpuUs.toFixed(1)} µs CPU/req`);
        const list = runs.get(s.runtime) ?? [];
        list.push({ wrk: m.value, cpuUs, peakRss: m.peakRss });
        runs.set(s.runtime, list);
      }
    }
    return servers.map(({ runtime }) => {
      const list = runs.get(runtime) ?? [];
      return {
        runtime,
        rps: median(list.map((r) => r.wrk.rps)),
        p50: median(list.map((r) => r.wrk.p50)),
        p99: median(list.map((r) => r.wrk.p99)),
        cpuUsPerReq: median(list.map((r) => r.cpuUs)),
        peakRss: max(list.map((r) => r.peakRss)),
        errors: list.reduce((a, r) => a + r.wrk.non2xx + r.wrk.socketErrors, 0),
      };
    });
  } finally {
    for (const s of servers) await s.proc.stop();
  }
}

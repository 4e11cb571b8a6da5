// 100 concurrent event streams through each proxy in turn: all must be open at once, every event must arrive,
// and events must pass without being held back in a buffer (first-event latency, longest gap).
import { measured } from "../measure.ts";
import type { BenchOptions } from "../options.ts";
import type { RunningProxy } from "../proxy/types.ts";
import type { StreamsRow } from "../results.ts";
import { runStreams } from "../streams.ts";
import { pause, say } from "./wrk-scenario.ts";

export async function runStreamsScenario(proxies: readonly RunningProxy[], opts: BenchOptions): Promise<StreamsRow[]> {
  const path = `/sse/?events=${opts.streamEvents}&interval=${opts.streamIntervalMs}`;
  const timeoutMs = opts.streamEvents * opts.streamIntervalMs + 30_000;
  const rows: StreamsRow[] = [];
  for (const p of proxies) {
    // Warm-up, as the wrk scenarios have: the same number of streams, briefly, so the first measured event does
    // not wait for code the proxy has not run yet.
    await runStreams(p.port, "/sse/?events=3&interval=10", opts.streams, 3, 30_000);
    await pause(500);
    const m = await measured(p.proc.pid, () => runStreams(p.port, path, opts.streams, opts.streamEvents, timeoutMs), true);
    const r = m.value;
    const cpuUsPerEvent = r.events > 0 ? (m.cpuS * 1e6) / r.events : NaN;
    say(
      `sse: ${p.id.padEnd(6)} ${r.maxOpen}/${r.streams} open at once, ${r.completed} complete, ` +
        `${r.events}/${r.expectedEvents} events, first event p99 ${r.firstEventP99.toFixed(1)} ms, max gap ${r.maxGap.toFixed(0)} ms` +
        (r.errors.length ? `, errors: ${r.errors[0]}` : ""),
    );
    rows.push({ proxy: p.id, label: p.label, result: r, cpuS: m.cpuS, cpuUsPerEvent, peakRss: m.peakRss, errorLines: p.errors().slice(0, 5) });
  }
  return rows;
}

// A wrk scenario over every proxy, interleaved: nginx, A, nginx, B, nginx, C, ... repeated `pairs` times, so
// that each proxy's ratio to nginx comes from runs made side by side (the machine's state drifts; a pair
// shares it).
import { measured } from "../measure.ts";
import type { BenchOptions } from "../options.ts";
import type { RunningProxy } from "../proxy/types.ts";
import type { WrkRow, WrkRun, WrkScenarioResult } from "../results.ts";
import { median, max } from "../stats.ts";
import { runWrk, wrkArgs, type WrkOptions } from "../wrk.ts";

export interface WrkScenario {
  readonly id: string;
  readonly title: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly connections: number;
  /** wrk Lua script (the upload body). */
  readonly script?: string;
}

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function say(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

export async function runWrkScenario(
  s: WrkScenario,
  proxies: readonly RunningProxy[],
  opts: BenchOptions,
  wrkBinary: string,
): Promise<WrkScenarioResult> {
  const wrkOpts = (durationS: number): WrkOptions => ({
    threads: opts.wrkThreads,
    connections: s.connections,
    durationS,
    ...(s.script ? { script: s.script } : {}),
  });

  say(`${s.id}: warming up (${opts.warmupS} s per proxy)`);
  for (const p of proxies) await runWrk(wrkBinary, wrkOpts(opts.warmupS), p.port, s.path);

  const runs: WrkRun[] = [];
  const runOne = async (p: RunningProxy, pair: number, nginxRun?: number): Promise<number> => {
    await pause(200);
    const m = await measured(p.proc.pid, () => runWrk(wrkBinary, wrkOpts(opts.durationS), p.port, s.path));
    const { raw: _raw, ...wrk } = m.value;
    const run: WrkRun = {
      proxy: p.id,
      pair,
      wrk,
      cpuS: m.cpuS,
      cpuUsPerReq: wrk.requests > 0 ? (m.cpuS * 1e6) / wrk.requests : NaN,
      peakRss: m.peakRss,
      otherCores: m.otherCores,
      stealCores: m.stealCores,
      ...(nginxRun !== undefined ? { nginxRun } : {}),
    };
    runs.push(run);
    const bad = wrk.non2xx + wrk.socketErrors;
    say(
      `${s.id}: pair ${pair + 1}/${opts.pairs} ${p.id.padEnd(6)} ${Math.round(wrk.rps)} req/s, ` +
        `p99 ${(wrk.p99 / 1000).toFixed(2)} ms, ${run.cpuUsPerReq.toFixed(1)} µs CPU/req` +
        (bad ? `, ${wrk.non2xx} non-2xx, ${wrk.socketErrors} socket errors` : "") +
        (m.otherCores >= 0.2 ? ` (other load ${m.otherCores.toFixed(2)} cores)` : ""),
    );
    return runs.length - 1;
  };

  const nginx = proxies.find((p) => p.id === "nginx");
  const others = proxies.filter((p) => p.id !== "nginx");
  for (let pair = 0; pair < opts.pairs; pair++) {
    if (!nginx) {
      for (const p of others) await runOne(p, pair);
      continue;
    }
    if (others.length === 0) await runOne(nginx, pair);
    for (const p of others) {
      const ref = await runOne(nginx, pair);
      await runOne(p, pair, ref);
    }
  }

  const errorLines: string[] = [];
  const rows: WrkRow[] = proxies.map((p) => {
    const mine = runs.filter((r) => r.proxy === p.id);
    const logged = p.errors();
    for (const line of logged.slice(0, 5)) errorLines.push(`${p.id}: ${line}`);
    const paired = (f: (r: WrkRun) => number) =>
      p.id === "nginx" ? 1 : median(mine.filter((r) => r.nginxRun !== undefined).map((r) => f(r) / f(runs[r.nginxRun!]!)));
    return {
      proxy: p.id,
      label: p.label,
      runs: mine.length,
      rps: median(mine.map((r) => r.wrk.rps)),
      p50: median(mine.map((r) => r.wrk.p50)),
      p99: median(mine.map((r) => r.wrk.p99)),
      cpuUsPerReq: median(mine.map((r) => r.cpuUsPerReq)),
      cpuRatio: paired((r) => r.cpuUsPerReq),
      p99Ratio: paired((r) => r.wrk.p99),
      peakRss: max(mine.map((r) => r.peakRss)),
      errors: mine.reduce((a, r) => a + r.wrk.non2xx + r.wrk.socketErrors, 0) + logged.length,
    };
  });
  const otherCores = {
    median: median(runs.map((r) => r.otherCores)),
    max: max(runs.map((r) => r.otherCores)),
    steal: median(runs.map((r) => r.stealCores)),
  };
  const shown = wrkArgs(wrkOpts(opts.durationS), 0, s.path).map((a) =>
    a.startsWith("http://") ? a.replace(":0/", ":PORT/") : a.startsWith("/") ? a.replace(/^.*\//, "") : a,
  );
  return {
    kind: "wrk",
    id: s.id,
    title: s.title,
    method: s.method,
    path: s.path,
    connections: s.connections,
    wrkArgs: shown,
    runs,
    rows,
    errorLines,
    otherCores,
  };
}

// One large download and one large upload through each proxy: throughput, and how much the proxy's memory
// grows while the bytes pass (a streaming proxy stays flat; one that buffers grows by the body).
import { measured } from "../measure.ts";
import type { BenchOptions } from "../options.ts";
import type { ProxyId, RunningProxy } from "../proxy/types.ts";
import type { TransferRow } from "../results.ts";
import { MiB } from "../stats.ts";
import { download, upload, type TransferResult } from "../transfer.ts";
import { pause, say } from "./wrk-scenario.ts";

type Direction = TransferRow["direction"];

export async function runTransfers(proxies: readonly RunningProxy[], opts: BenchOptions): Promise<TransferRow[]> {
  const size = opts.bigBytes;
  // At least 10 MB/s, or the run is cut short and reported as failed.
  const timeoutMs = Math.max(60_000, (size / 10e6) * 1000);
  const raw: Array<Omit<TransferRow, "ratio" | "reference">> = [];
  for (const direction of ["download", "upload"] as const) {
    for (const p of proxies) {
      await pause(500);
      const action = (): Promise<TransferResult> =>
        direction === "download" ? download(p.port, `/?size=${size}`, timeoutMs) : upload(p.port, "/", size, timeoutMs);
      const m = await measured(p.proc.pid, action, true);
      const t = m.value;
      const ok = t.status === 200 && t.bytes === size && !t.error;
      const logged = p.errors();
      const error = ok ? (logged[0] ? `logged: ${logged[0]}` : undefined) : (t.error ?? `status ${t.status}, ${t.bytes} of ${size} bytes`);
      const row = {
        proxy: p.id,
        label: p.label,
        direction,
        bytes: t.bytes,
        expected: size,
        status: t.status,
        seconds: t.seconds,
        mbPerS: ok ? t.bytes / t.seconds / 1e6 : NaN,
        cpuS: m.cpuS,
        rssBefore: m.rssBefore,
        peakRss: m.peakRss,
        ...(error ? { error } : {}),
      };
      raw.push(row);
      say(
        `${direction}: ${p.id.padEnd(6)} ${ok ? `${row.mbPerS.toFixed(0)} MB/s` : `FAILED (${error})`}, ` +
          `${t.seconds.toFixed(2)} s, RSS +${((m.peakRss - m.rssBefore) / MiB).toFixed(1)} MiB, CPU ${m.cpuS.toFixed(2)} s`,
      );
    }
  }
  // The reference: nginx, or Apache where nginx failed (an upload it refused or could not stream).
  const reference = (direction: Direction): { id: ProxyId | ""; mbPerS: number } => {
    for (const id of ["nginx", "apache"] as const) {
      const r = raw.find((x) => x.proxy === id && x.direction === direction && Number.isFinite(x.mbPerS));
      if (r) return { id, mbPerS: r.mbPerS };
    }
    return { id: "", mbPerS: NaN };
  };
  return raw.map((r) => {
    const ref = reference(r.direction);
    return { ...r, ratio: r.mbPerS / ref.mbPerS, reference: ref.id };
  });
}

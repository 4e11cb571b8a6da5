// Where log lines go by default. The stderr sink batches: lines written within one timer tick leave in one
// write, as a buffered access log does (a write per request was a tenth of the gateway's CPU under load).
import { writeStderr } from "./stderr.ts";
import type { LogSink } from "./types.ts";

let pending: string[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/** Writes whatever the stderr sink still holds (called on close, so nothing is lost at shutdown). */
export function flushLog(): void {
  if (flushTimer !== undefined) {
    clearTimeout(flushTimer);
    flushTimer = undefined;
  }
  if (pending.length === 0) return;
  const out = pending.join("\n") + "\n";
  pending = [];
  writeStderr(out);
}

/** Batched lines on stderr (the default on Node, Deno and Bun). */
export const stderrSink: LogSink = (_level, line) => {
  pending.push(line);
  if (pending.length >= 256) flushLog();
  else flushTimer ??= setTimeout(flushLog, 0);
};

/** A write per line, for hosts where a timer may not outlive the request that set it (Workers). */
export const immediateSink: LogSink = (_level, line) => console.error(line);

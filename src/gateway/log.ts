// One line per event: `time level req=N key=value ... message`. The sink is injectable (tests capture lines).
// The default sink batches: lines written within one timer tick leave in one write, as a buffered access log
// does (a write per request was a tenth of the gateway's CPU under load).

import { writeStderr } from "../transport/stderr.ts";

export type LogLevel = "info" | "warn" | "error";
export type LogSink = (level: LogLevel, line: string) => void;

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

let pending: string[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/** Writes whatever the default sink still holds (called on close, so nothing is lost at shutdown). */
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

/** A write per line, for hosts where a timer may not outlive the request that set it (Workers). */
export const immediateSink: LogSink = (_level, line) => console.error(line);

export const stderrSink: LogSink = (_level, line) => {
  pending.push(line);
  if (pending.length >= 256) flushLog();
  else flushTimer ??= setTimeout(flushLog, 0);
};

/** Formats and levels log lines; one per gateway (and one for the CLI's own lines). */
export class Logger {
  readonly #sink: LogSink;
  readonly #min: number;
  #stampMs = 0;
  #stamp = "";

  constructor(sink: LogSink = stderrSink, minLevel: LogLevel = "info") {
    this.#sink = sink;
    this.#min = RANK[minLevel];
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#min;
  }

  log(level: LogLevel, fields: Record<string, string | number | undefined>, message = ""): void {
    if (RANK[level] < this.#min) return;
    const now = Date.now();
    if (now !== this.#stampMs) {
      this.#stampMs = now;
      this.#stamp = new Date(now).toISOString();
    }
    let line = `${this.#stamp} ${level}`;
    for (const key in fields) {
      const v = fields[key];
      if (v !== undefined) line += ` ${key}=${typeof v === "string" && /[\s"]/.test(v) ? JSON.stringify(v) : v}`;
    }
    if (message) line += ` ${oneLine(message)}`;
    this.#sink(level, line);
  }
}

/** Keeps one event on one line whatever a backend or client put in it. */
export function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, "\\n");
}

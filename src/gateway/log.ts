// One line per event: `time level req=N key=value ... message`. The sink is injectable (tests capture lines);
// the default one is the platform's (src/platform/log-sink.ts).
import type { LogLevel, LogSink } from "../platform/types.ts";

export type { LogLevel, LogSink };

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/** Formats and levels log lines; one per gateway (and one for the CLI's own lines). */
export class Logger {
  readonly #sink: LogSink;
  readonly #min: number;
  #stampMs = 0;
  #stamp = "";

  constructor(sink: LogSink, minLevel: LogLevel = "info") {
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

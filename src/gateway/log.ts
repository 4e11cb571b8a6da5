// One line per event: `time level req=N key=value ... message`. The sink is injectable (tests capture lines).

export type LogLevel = "info" | "warn" | "error";
export type LogSink = (level: LogLevel, line: string) => void;

export const stderrSink: LogSink = (_level, line) => console.error(line);

export class Logger {
  readonly #sink: LogSink;
  constructor(sink: LogSink = stderrSink) {
    this.#sink = sink;
  }

  log(level: LogLevel, fields: Record<string, string | number | undefined>, message = ""): void {
    let line = `${new Date().toISOString()} ${level}`;
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

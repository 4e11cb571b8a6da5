// Error lines a proxy logged, read from its log file: each call returns only the lines added since the last.
import { closeSync, openSync, readSync, statSync } from "node:fs";

export function logWatch(file: string, pattern: RegExp): () => string[] {
  let offset = 0;
  let partial = "";
  return () => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return [];
    }
    if (size < offset) offset = 0;
    // Access logs grow by megabytes per run; only error lines matter, so read in slices.
    const out: string[] = [];
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        offset += n;
        const lines = (partial + buf.toString("utf8", 0, n)).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (pattern.test(line) && out.length < 1000) out.push(line);
      }
    } finally {
      closeSync(fd);
    }
    return out;
  };
}

/** For logs that only hold errors and warnings: every new line matching `pattern`. */
export const logErrors = (() => {
  const watches = new Map<string, () => string[]>();
  return (file: string, pattern: RegExp): string[] => {
    let w = watches.get(file);
    if (!w) watches.set(file, (w = logWatch(file, pattern)));
    return w();
  };
})();

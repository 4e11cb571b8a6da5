// Number formatting shared by the tables and the chart.
import { MiB } from "./stats.ts";

const dash = "–";

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : dash;
}

export function fixed(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : dash;
}

/** Microseconds as milliseconds. */
export function ms(us: number): string {
  return Number.isFinite(us) ? (us / 1000).toFixed(2) : dash;
}

export function ratio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : dash;
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / MiB).toFixed(1) : dash;
}

export function mdTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: string): string {
  const a = align ?? head.map((_, i) => (i === 0 ? "l" : "r")).join("");
  const sep = head.map((_, i) => (a[i] === "r" ? "---:" : "---"));
  return [head, sep, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

// A bounded burst of requests through a test gateway: `total` requests from `concurrency` loops at once,
// each request timed, for the pooling tests against real backends.
import type { TestGateway } from "./harness.ts";

export interface BurstResult {
  readonly statuses: Map<number, number>;
  /** Per request, ms from sending to the end of the body. */
  readonly durations: number[];
  readonly bodies: string[];
}

/** `make(i)` gives request i's path and init. Never more than `total` requests; every body is read. */
export async function burst(gw: TestGateway, total: number, concurrency: number, make: (i: number) => { path: string; init?: RequestInit }): Promise<BurstResult> {
  const statuses = new Map<number, number>();
  const durations: number[] = [];
  const bodies: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const { path, init } = make(i);
      const started = Date.now();
      const res = await gw.request(path, init);
      bodies[i] = await res.text();
      durations[i] = Date.now() - started;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  }));
  return { statuses, durations, bodies };
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

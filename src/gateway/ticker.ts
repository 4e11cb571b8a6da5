// The clock of live exchanges: io timeouts and the lazy client-gone watch are checked on a coarse tick
// instead of a timer per request. Arming and clearing a timer per request was ~5% of a tiny GET's CPU on
// Deno and Node; one interval for all exchanges costs nothing per request. nginx does the same with its
// timer tree, checked once per event-loop turn.
import type { UnrefTimer } from "../platform/types.ts";

export interface Ticking {
  tick(now: number): void;
}

export interface Ticker<T extends Ticking = Ticking> {
  add(item: T): void;
  delete(item: T): void;
  /** Every live item, for the gateway's cut at shutdown. */
  live(): T[];
  /** Stops every timer (gateway close). */
  close(): void;
}

/** Ticks this often: a timeout fires within one period after it expires. */
export function tickPeriod(shortestTimeoutMs: number): number {
  return Math.min(200, Math.max(10, Math.floor(shortestTimeoutMs / 10)));
}

/**
 * One interval for every live exchange; it stops after a tick finds nothing to do, so an idle gateway
 * has no timer. Unref'd: a live exchange's socket keeps the process alive, never this clock.
 */
export class SharedTicker<T extends Ticking = Ticking> implements Ticker<T> {
  readonly #items = new Set<T>();
  readonly #periodMs: number;
  readonly #unref: UnrefTimer;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(periodMs: number, unref: UnrefTimer) {
    this.#periodMs = periodMs;
    this.#unref = unref;
  }

  add(item: T): void {
    this.#items.add(item);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#periodMs);
      this.#unref(this.#timer);
    }
  }

  delete(item: T): void {
    this.#items.delete(item);
  }

  live(): T[] {
    return [...this.#items];
  }

  close(): void {
    this.#items.clear();
    this.#stop();
  }

  #tick(): void {
    if (this.#items.size === 0) {
      this.#stop();
      return;
    }
    const now = Date.now();
    for (const item of this.#items) item.tick(now);
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A timer per exchange, for hosts where a timer must not outlive the request that set it (Workers): one
 * request's interval must never be what runs another request's timeout.
 */
export class PerItemTicker<T extends Ticking = Ticking> implements Ticker<T> {
  readonly #timers = new Map<T, ReturnType<typeof setInterval>>();
  readonly #periodMs: number;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  add(item: T): void {
    if (!this.#timers.has(item)) this.#timers.set(item, setInterval(() => item.tick(Date.now()), this.#periodMs));
  }

  live(): T[] {
    return [...this.#timers.keys()];
  }

  delete(item: T): void {
    const t = this.#timers.get(item);
    if (t === undefined) return;
    clearInterval(t);
    this.#timers.delete(item);
  }

  close(): void {
    for (const t of this.#timers.values()) clearInterval(t);
    this.#timers.clear();
  }
}

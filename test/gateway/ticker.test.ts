// The exchanges' clock: SharedTicker (one interval for all, stopping when idle), PerItemTicker (an interval
// per exchange, for Workers) and tickPeriod. Intervals are counted by wrapping setInterval/clearInterval, so a
// timer left running fails the test instead of only keeping the process alive.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PerItemTicker, SharedTicker, tickPeriod, type Ticker, type Ticking } from "../../src/gateway/ticker.ts";
import type { UnrefTimer } from "../../src/platform/types.ts";
import { until } from "../helpers/memory-conn.ts";

/** An unusual period, so only the tickers' own intervals are counted. */
const PERIOD = 7;

type Timer = ReturnType<typeof setInterval>;

/** Intervals of PERIOD ms created and not yet cleared, while installed. */
const live = new Set<unknown>();
const real = { setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval };

beforeEach(() => {
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    const t = real.setInterval(fn, ms);
    if (ms === PERIOD) live.add(t);
    return t;
  }) as typeof setInterval;
  globalThis.clearInterval = ((t: Timer | undefined) => {
    live.delete(t);
    real.clearInterval(t);
  }) as typeof clearInterval;
});

let tickers: Ticker<Item>[] = [];
afterEach(() => {
  for (const t of tickers) t.close();
  tickers = [];
  globalThis.setInterval = real.setInterval;
  globalThis.clearInterval = real.clearInterval;
  for (const t of live) real.clearInterval(t as Timer); // a leak already failed its test; do not hang the process too
  live.clear();
});

class Item implements Ticking {
  readonly times: number[] = [];
  constructor(readonly name: string) {}
  tick(now: number): void {
    this.times.push(now);
  }
}

const unrefQuietly: UnrefTimer = (t) => (t as { unref?: () => void }).unref?.();

/** The one place each ticker is built (constructors may gain an unref argument). */
function shared(unref: UnrefTimer = unrefQuietly): SharedTicker<Item> {
  const t = new SharedTicker<Item>(PERIOD, unref);
  tickers.push(t);
  return t;
}
function perItem(): PerItemTicker<Item> {
  const t = new PerItemTicker<Item>(PERIOD);
  tickers.push(t);
  return t;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SharedTicker", () => {
  it("ticks every added item with the current time, on one unref'd interval", async () => {
    const unrefd: unknown[] = [];
    const ticker = shared((t) => { unrefd.push(t); unrefQuietly(t); });
    assert.equal(live.size, 0, "no timer before the first item");
    const a = new Item("a");
    const b = new Item("b");
    const before = Date.now();
    ticker.add(a);
    ticker.add(b);
    assert.equal(live.size, 1, "one interval for every item");
    assert.equal(unrefd.length, 1);
    assert.ok(live.has(unrefd[0]), "the interval itself is unref'd");
    await until(() => a.times.length >= 2 && b.times.length >= 2, 300, "both items to tick twice");
    for (const now of [...a.times, ...b.times]) assert.ok(now >= before && now <= Date.now(), `tick time ${now}`);
  });

  it("stops ticking an item once it is deleted", async () => {
    const ticker = shared();
    const a = new Item("a");
    const b = new Item("b");
    ticker.add(a);
    ticker.add(b);
    await until(() => a.times.length >= 1, 300, "a first tick");
    ticker.delete(a);
    const ticksOfA = a.times.length;
    const ticksOfB = b.times.length;
    await until(() => b.times.length >= ticksOfB + 3, 300, "b to keep ticking");
    assert.equal(a.times.length, ticksOfA, "a deleted item is not ticked");
  });

  it("live() lists the items added and not deleted, each once", () => {
    const ticker = shared();
    const a = new Item("a");
    const b = new Item("b");
    const c = new Item("c");
    ticker.add(a);
    ticker.add(b);
    ticker.add(b);
    ticker.add(c);
    ticker.delete(c);
    ticker.delete(new Item("never added"));
    assert.deepEqual(ticker.live().map((i) => i.name).sort(), ["a", "b"]);
  });

  it("its interval stops after a tick finds nothing, and starts again on the next add", async () => {
    let unrefs = 0;
    const ticker = shared((t) => { unrefs++; unrefQuietly(t); });
    const a = new Item("a");
    ticker.add(a);
    ticker.delete(a);
    await until(() => live.size === 0, 300, "the idle interval to stop");
    assert.equal(a.times.length, 0);
    ticker.add(a);
    assert.equal(live.size, 1);
    assert.equal(unrefs, 2, "a new interval, unref'd too");
    await until(() => a.times.length >= 1, 300, "a tick on the new interval");
  });

  it("close() forgets every item and clears its interval", async () => {
    const ticker = shared();
    const a = new Item("a");
    ticker.add(a);
    ticker.add(new Item("b"));
    await until(() => a.times.length >= 1, 300, "a first tick");
    ticker.close();
    assert.equal(live.size, 0, "no timer left running");
    assert.deepEqual(ticker.live(), []);
    const ticks = a.times.length;
    await sleep(PERIOD * 4);
    assert.equal(a.times.length, ticks, "nothing ticks after close");
    ticker.close(); // twice is fine
    assert.equal(live.size, 0);
  });
});

describe("PerItemTicker", () => {
  it("gives each item its own interval and ticks each", async () => {
    const ticker = perItem();
    const a = new Item("a");
    const b = new Item("b");
    ticker.add(a);
    ticker.add(a);
    ticker.add(b);
    assert.equal(live.size, 2, "one interval per item, however often it is added");
    assert.deepEqual(ticker.live().map((i) => i.name).sort(), ["a", "b"]);
    await until(() => a.times.length >= 2 && b.times.length >= 2, 300, "both items to tick");
  });

  it("delete clears that item's interval only", async () => {
    const ticker = perItem();
    const a = new Item("a");
    const b = new Item("b");
    ticker.add(a);
    ticker.add(b);
    ticker.delete(a);
    ticker.delete(new Item("never added"));
    assert.equal(live.size, 1);
    assert.deepEqual(ticker.live().map((i) => i.name), ["b"]);
    await until(() => b.times.length >= 2, 300, "b to tick");
    assert.equal(a.times.length, 0);
  });

  it("close() clears every interval", async () => {
    const ticker = perItem();
    const items = [new Item("a"), new Item("b"), new Item("c")];
    for (const i of items) ticker.add(i);
    assert.equal(live.size, 3);
    ticker.close();
    assert.equal(live.size, 0, "no timer left running");
    assert.deepEqual(ticker.live(), []);
    await sleep(PERIOD * 4);
    assert.ok(items.every((i) => i.times.length === 0), "nothing ticked after close");
  });
});

describe("tickPeriod", () => {
  const cases: Array<[number, number]> = [
    [0, 10],
    [1, 10],
    [100, 10],
    [109, 10],
    [500, 50],
    [1999, 199],
    [2000, 200],
    [30_000, 200],
    [Infinity, 200],
  ];
  for (const [timeout, period] of cases) {
    it(`a shortest timeout of ${timeout} ms ticks every ${period} ms`, () => {
      assert.equal(tickPeriod(timeout), period);
    });
  }

  it("a timeout fires within one period of expiring, and the period stays within 10..200 ms", () => {
    for (let t = 1; t <= 100_000; t = Math.ceil(t * 1.7)) {
      const p = tickPeriod(t);
      assert.ok(p >= 10 && p <= 200, `tickPeriod(${t}) = ${p}`);
      assert.ok(p <= Math.max(10, t / 10), `tickPeriod(${t}) = ${p} is over a tenth of the timeout`);
    }
  });
});

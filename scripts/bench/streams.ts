// The streaming scenario's client: N concurrent event streams through a proxy, each on its own connection.
// Checks that all N are open at once and that every event arrives, and how late they arrive.
import { request } from "node:http";
import { HOST } from "./net.ts";

export interface StreamsResult {
  readonly streams: number;
  /** Streams whose response head arrived with status 200. */
  readonly opened: number;
  /** Streams that ended after all their events. */
  readonly completed: number;
  /** The most streams open at the same moment. */
  readonly maxOpen: number;
  readonly events: number;
  readonly expectedEvents: number;
  /** From sending the request to its first event, ms. */
  readonly firstEventP50: number;
  readonly firstEventP99: number;
  /** The longest wait between two events of one stream, ms (the backend sends one every interval). */
  readonly maxGap: number;
  readonly errors: readonly string[];
}

interface StreamState {
  start: number;
  first: number;
  last: number;
  maxGap: number;
  events: number;
  lastByte: number;
}

export function runStreams(
  port: number,
  path: string,
  streams: number,
  eventsPerStream: number,
  timeoutMs: number,
): Promise<StreamsResult> {
  return new Promise((resolve) => {
    const states: StreamState[] = [];
    const errors: string[] = [];
    let open = 0;
    let maxOpen = 0;
    let opened = 0;
    let completed = 0;
    let settled = 0;
    const reqs: ReturnType<typeof request>[] = [];
    const timer = setTimeout(() => {
      errors.push(`timed out after ${timeoutMs} ms with ${streams - settled} streams unfinished`);
      for (const r of reqs) r.destroy();
    }, timeoutMs);

    const finish = () => {
      if (++settled < streams) return;
      clearTimeout(timer);
      const firsts = states.filter((s) => s.first > 0).map((s) => s.first - s.start).sort((a, b) => a - b);
      const pct = (p: number) => (firsts.length ? firsts[Math.min(firsts.length - 1, Math.floor((p / 100) * firsts.length))]! : NaN);
      resolve({
        streams,
        opened,
        completed,
        maxOpen,
        events: states.reduce((a, s) => a + s.events, 0),
        expectedEvents: streams * eventsPerStream,
        firstEventP50: pct(50),
        firstEventP99: pct(99),
        maxGap: states.reduce((a, s) => Math.max(a, s.maxGap), 0),
        errors: errors.slice(0, 20),
      });
    };

    for (let i = 0; i < streams; i++) {
      const s: StreamState = { start: performance.now(), first: 0, last: 0, maxGap: 0, events: 0, lastByte: 0 };
      states.push(s);
      let done = false;
      const end = (error?: string) => {
        if (done) return;
        done = true;
        if (error && errors.length < 100) errors.push(`stream ${i}: ${error}`);
        finish();
      };
      // agent: false → one connection per stream, none shared or queued.
      const req = request({ host: HOST, port, path, agent: false, headers: { Accept: "text/event-stream" } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          end(`status ${res.statusCode}`);
          return;
        }
        opened++;
        open++;
        if (open > maxOpen) maxOpen = open;
        res.on("data", (chunk: Buffer) => {
          // An event ends with a blank line: count "\n\n", including one split across two chunks.
          let n = 0;
          if (s.lastByte === 10 && chunk[0] === 10) n++;
          for (let j = chunk.indexOf("\n\n"); j !== -1; j = chunk.indexOf("\n\n", j + 2)) n++;
          s.lastByte = chunk[chunk.length - 1]!;
          if (n === 0) return;
          const now = performance.now();
          if (s.first === 0) s.first = now;
          else if (now - s.last > s.maxGap) s.maxGap = now - s.last;
          s.last = now;
          s.events += n;
        });
        res.once("end", () => {
          open--;
          if (s.events === eventsPerStream) completed++;
          end(s.events === eventsPerStream ? undefined : `ended after ${s.events} of ${eventsPerStream} events`);
        });
        res.once("error", (e) => {
          open--;
          end(e.message);
        });
      });
      req.once("error", (e) => end(e.message));
      req.end();
      reqs.push(req);
    }
  });
}

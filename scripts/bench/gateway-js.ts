// The gateway's own JavaScript per request, with no sockets: gateway.respond() for a GET, CONCURRENCY requests in
// flight, against an in-memory backend that answers like scripts/bench/hello.c ("hello", 5 bytes) one macrotask
// after the request's empty STDIN record. The wrk scenarios' CPU per request also holds the kernel's loopback TCP
// work and the runtime's HTTP server, and moves ±10% between runs on a shared machine; this isolates routing, the
// CGI environment, encoding, the pool, the exchange, CGI head parsing and the access-log line (formatted, then
// dropped by the sink). The fake backend's own work (a walk over the record headers, a setImmediate and a
// 104-byte copy per request) is counted too; it stands in for the socket writes and reads.
//
// Two variants, each warmed up for 1 s and then measured over `--rounds` consecutive rounds of `--seconds`:
//   plain: the request as a plain object with a Map-backed header reader (what a lean adapter hands over)
//   fetch: a Fetch Request built per request (adds the runtime's Request and Headers)
// plain runs first so that its numbers come from call sites that have seen only its shapes.
// Prints one JSON line, a GatewayJsRow of scripts/bench/results.ts. Node runs an esbuild bundle of this file,
// Deno and Bun the source. Any response other than 200 "hello" ends the program with exit code 1.
// Usage: gateway-js.ts [--seconds S (3)] [--rounds N (3)] [--variant plain|fetch (both)]
import process from "node:process";
import { setImmediate } from "node:timers";
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { parseProxyPass } from "../../src/config/proxy-pass.ts";
import type { ConnectionInfo } from "../../src/connection-info.ts";
import { createGateway } from "../../src/adapters/embedded.ts";
import type { Gateway } from "../../src/gateway/types.ts";
import type { LogLevel } from "../../src/gateway/log.ts";
import type { ProxyRequest, ProxyResponse } from "../../src/gateway/messages.ts";
import type { Conn, ConnHandlers, Connector } from "../../src/transport/types.ts";
import type { GatewayJsRow, GatewayJsVariant } from "./results.ts";
import { runtimeName } from "./runtime-name.ts";

const CONCURRENCY = 32;
const WARMUP_MS = 1000;
const URL_TEXT = "http://127.0.0.1:8080/";
const HEADERS: ReadonlyArray<readonly [string, string]> = [["host", "127.0.0.1:8080"], ["user-agent", "wrk"]];
const INFO: ConnectionInfo = { remoteAddress: "127.0.0.1", remotePort: 50000, localAddress: "127.0.0.1", localPort: 8080, tls: false };
const HELLO = new TextEncoder().encode("hello");

function die(message: string): never {
  process.stderr.write(`gateway-js: ${message}\n`);
  process.exit(1);
}

// --- the in-memory backend ---

// Record types, FastCGI 1.0 spec §8.
const BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6, GET_VALUES = 9, GET_VALUES_RESULT = 10;

/** One record: 8-byte header (spec §3.3), content, padding to a multiple of 8. Written by hand, not by our encoder. */
function record(type: number, requestId: number, content: Uint8Array): Uint8Array {
  const padding = (8 - (content.length % 8)) % 8;
  const out = new Uint8Array(8 + content.length + padding);
  out.set([1, type, requestId >> 8, requestId & 255, content.length >> 8, content.length & 255, padding, 0]);
  out.set(content, 8);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** hello.c's answer: the CGI head and body in one STDOUT record, the empty STDOUT, END_REQUEST (complete, status 0). */
function helloAnswer(requestId: number): Uint8Array {
  const cgi = new TextEncoder().encode("Content-Type: text/plain\r\nContent-Length: 5\r\nX-Body-Bytes: 0\r\n\r\nhello");
  return concat([record(STDOUT, requestId, cgi), record(STDOUT, requestId, new Uint8Array(0)), record(END_REQUEST, requestId, new Uint8Array(8))]);
}

/** What PHP-FPM answers to the pool's FCGI_GET_VALUES probe (spec §4.1), with our connection count. */
function valuesAnswer(): Uint8Array {
  const pairs = [["FCGI_MAX_CONNS", String(CONCURRENCY)], ["FCGI_MAX_REQS", String(CONCURRENCY)], ["FCGI_MPXS_CONNS", "0"]];
  const te = new TextEncoder();
  // Short names and values: one length byte each (spec §3.4).
  return record(GET_VALUES_RESULT, 0, concat(pairs.flatMap(([k, v]) => [new Uint8Array([k!.length, v!.length]), te.encode(k), te.encode(v)])));
}

const answers = new Map<number, Uint8Array>();
let values: Uint8Array | undefined;

/** A connection to a backend that lives in memory. Every answer arrives one macrotask later, as a socket read would. */
class MemoryConn implements Conn {
  #handlers: ConnHandlers | undefined;
  #closed = false;
  #paused = false;
  #writeShut = false;
  #held: Uint8Array[] = [];

  get closed(): boolean {
    return this.#closed;
  }

  setHandlers(handlers: ConnHandlers): void {
    this.#handlers = handlers;
  }

  /** The gateway writes whole records; answer the request's empty STDIN and the GET_VALUES probe. */
  write(data: Uint8Array): boolean {
    if (this.#closed) die("write after close");
    if (this.#writeShut) die("write after shutdownWrite");
    let at = 0;
    while (at < data.length) {
      if (data.length - at < 8 || data[at] !== 1) die(`write does not hold whole version-1 records (at ${at} of ${data.length})`);
      const type = data[at + 1]!;
      const requestId = (data[at + 2]! << 8) | data[at + 3]!;
      const length = (data[at + 4]! << 8) | data[at + 5]!;
      if (type === STDIN && length === 0) {
        let answer = answers.get(requestId);
        if (!answer) answers.set(requestId, (answer = helloAnswer(requestId)));
        this.#send(answer.slice()); // a read hands over a fresh buffer, owned by the receiver
      } else if (type === GET_VALUES) {
        this.#send((values ??= valuesAnswer()).slice());
      } else if (type !== BEGIN_REQUEST && type !== PARAMS && type !== STDIN) {
        die(`unexpected record type ${type} from the gateway`);
      }
      at += 8 + length + data[at + 6]!;
    }
    if (at !== data.length) die("write ends inside a record");
    return true;
  }

  drained(): Promise<void> {
    return this.#closed ? Promise.reject(new Error("closed")) : Promise.resolve();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const held = this.#held;
    this.#held = [];
    for (const chunk of held) this.#send(chunk);
  }

  shutdownWrite(): void {
    this.#writeShut = true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    setImmediate(() => this.#handlers?.close());
  }

  #send(chunk: Uint8Array): void {
    setImmediate(() => {
      if (this.#closed) return;
      if (this.#paused) this.#held.push(chunk);
      else if (!this.#handlers) die("data arrived on a connection with no handlers");
      else this.#handlers.data(chunk);
    });
  }
}

const connector: Connector = () => Promise.resolve(new MemoryConn());

// --- requests ---

/** The HeaderReader the gateway needs, over a Map: roughly what a lean server adapter builds per request. */
class MapHeaders {
  readonly #map: Map<string, string>;
  constructor(entries: ReadonlyArray<readonly [string, string]>) {
    this.#map = new Map(entries);
  }
  get(name: string): string | null {
    return this.#map.get(name) ?? null;
  }
  has(name: string): boolean {
    return this.#map.has(name);
  }
  forEach(callback: (value: string, name: string) => void): void {
    this.#map.forEach(callback);
  }
}

type VariantName = "plain" | "fetch";
const FETCH_HEADERS = Object.fromEntries(HEADERS);
const MAKE: Record<VariantName, () => ProxyRequest> = {
  plain: () => ({ method: "GET", url: URL_TEXT, headers: new MapHeaders(HEADERS), body: null }),
  fetch: () => new Request(URL_TEXT, { headers: FETCH_HEADERS }),
};

function check(r: ProxyResponse): void {
  if (r.status !== 200) die(`status ${r.status} ${r.statusText}`);
  const body = r.body;
  if (!(body instanceof Uint8Array)) die(`the body came as ${body === null ? "null" : "a stream"}, not bytes`);
  if (body.length !== HELLO.length || body.some((b, i) => b !== HELLO[i])) die(`body ${JSON.stringify(new TextDecoder().decode(body))}, not "hello"`);
}

// --- measuring ---

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(gateway: Gateway, variant: VariantName, seconds: number, rounds: number, logLines: () => number): Promise<GatewayJsVariant> {
  const make = MAKE[variant];
  let done = 0;
  let stop = false;
  const lines0 = logLines();
  const worker = async () => {
    while (!stop) {
      check(await gateway.respond(make(), INFO));
      done++;
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  await sleep(WARMUP_MS);
  const us: number[] = [];
  const rps: number[] = [];
  let requests = 0;
  for (let i = 0; i < rounds; i++) {
    const cpu0 = process.cpuUsage();
    const n0 = done;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const n = done - n0;
    const elapsed = (performance.now() - t0) / 1000;
    if (n === 0) die(`${variant}: no request completed in ${seconds} s`);
    us.push((cpu.user + cpu.system) / n);
    rps.push(n / elapsed);
    requests += n;
  }
  stop = true;
  await Promise.all(workers);
  // One access line per request: the formatting is part of the cost, so make sure it happened.
  if (logLines() - lines0 !== done) die(`${variant}: ${logLines() - lines0} access-log lines for ${done} requests`);
  const mid = median(us);
  return { usPerReq: mid, rps: median(rps), rounds: us, requests };
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seconds = Number(flag(argv, "--seconds") ?? 3);
  const rounds = Math.round(Number(flag(argv, "--rounds") ?? 3));
  const only = flag(argv, "--variant");
  if (!(seconds > 0) || !(rounds >= 1)) die("--seconds and --rounds need positive numbers");
  if (only !== undefined && only !== "plain" && only !== "fetch") die("--variant is plain or fetch");
  const variants: VariantName[] = only ? [only] : ["plain", "fetch"];

  const config = buildGatewayConfig({
    flagRoutes: [parseProxyPass(`/ fcgi://127.0.0.1:9/bench/ max=${CONCURRENCY} smax=${CONCURRENCY} backend-type=GENERIC`)],
  });
  let infoLines = 0;
  const sink = (level: LogLevel, line: string) => {
    if (level === "info") infoLines++;
    else die(`the gateway logged: ${line}`);
  };
  const gateway = createGateway(config, { connector, log: sink, logLevel: "info" });

  const row: { -readonly [K in keyof GatewayJsRow]: GatewayJsRow[K] } = { ...runtimeName(), seconds, concurrency: CONCURRENCY };
  for (const v of variants) row[v] = await measure(gateway, v, seconds, rounds, () => infoLines);
  const errors = gateway.stats().routes.reduce((n, r) => n + r.errors, 0);
  await gateway.close();
  if (errors > 0) die(`the gateway counted ${errors} errors`);
  console.log(JSON.stringify(row));
}

main().catch((e) => die((e as Error)?.stack ?? String(e)));

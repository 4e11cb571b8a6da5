// One request and its answer over a kept backend socket, through the project's transport and nothing else:
// `--conns` connections to the hello backend (scripts/bench/hello.c) opened with the runtime's connector, each
// writing one precomputed request head (FCGI_KEEP_CONN, empty STDIN) and reading the answer through a
// RecordDecoder, then the next head as soon as END_REQUEST arrives. No HTTP server, no gateway: what is left is
// the runtime's socket work, the kernel's loopback TCP on this process's side, and the decoding of the answer.
// Together with the runtime's HTTP server alone (floor-server.ts) and the gateway's own JavaScript
// (gateway-js.ts) this is one of the parts a proxied tiny GET's CPU is made of.
//
// Warmed up for 1 s, then `--rounds` consecutive rounds of `--seconds`; prints one JSON line, an IoFloorRow of
// scripts/bench/results.ts (the median round's CPU µs per round trip). Every answer must be hello.c's: STDOUT
// whose content ends in the 5-byte body "hello", the end of STDOUT, END_REQUEST complete with status 0, and
// nothing after it; anything else ends the program with exit code 1. Node runs an esbuild bundle of this file,
// Deno and Bun the source.
// Usage: io-floor.ts HOST:PORT [--seconds S (3)] [--conns N (32)] [--rounds N (3)]
import process from "node:process";
import { ProtocolStatus, RecordType } from "../../src/protocol/constants.ts";
import { RecordDecoder, type RecordHandlers } from "../../src/protocol/decoder.ts";
import { encodeRequestHead } from "../../src/protocol/request-head.ts";
import { runtimeConnector } from "../../src/platform/connector.ts";
import type { Conn, Connector, TransportError } from "../../src/transport/types.ts";
import type { IoFloorRow } from "./results.ts";
import { runtimeName } from "./runtime-name.ts";

const WARMUP_MS = 1000;
const REQUEST_ID = 1;
const HELLO = new TextEncoder().encode("hello");
const STOP_TIMEOUT_MS = 5000;

function die(message: string): never {
  process.stderr.write(`io-floor: ${message}\n`);
  process.exit(1);
}

/**
 * What the gateway sends for wrk's tiny GET (`GET /`, Host only) on the benchmark's "/" route, in buildEnv's
 * order (src/cgi/env.ts), so the head is as long as the real one. Encoding is the gateway's work (gateway-js.ts
 * counts it): here it happens once.
 */
function requestHead(): Uint8Array {
  const params: Array<[string, string]> = [
    ["HTTP_HOST", "127.0.0.1:8080"],
    ["SERVER_SOFTWARE", "proxy-fcgi"],
    ["SERVER_NAME", "127.0.0.1"],
    ["SERVER_ADDR", "127.0.0.1"],
    ["SERVER_PORT", "8080"],
    ["REMOTE_ADDR", "127.0.0.1"],
    ["DOCUMENT_ROOT", "/bench"],
    ["REQUEST_SCHEME", "http"],
    ["CONTEXT_PREFIX", ""],
    ["CONTEXT_DOCUMENT_ROOT", "/bench"],
    ["SCRIPT_FILENAME", "/bench/"],
    ["REMOTE_PORT", "50000"],
    ["GATEWAY_INTERFACE", "CGI/1.1"],
    ["SERVER_PROTOCOL", "HTTP/1.1"],
    ["REQUEST_METHOD", "GET"],
    ["QUERY_STRING", ""],
    ["REQUEST_URI", "/"],
    ["SCRIPT_NAME", "/"],
  ];
  // The output is a view of the encoder's slab, never handed out again: safe to write over and over.
  return encodeRequestHead({ requestId: REQUEST_ID, keepConn: true, params, stdin: new Uint8Array(0) });
}

/** One kept backend connection, ping-ponging requests; counts completed round trips in `done`. */
class Pinger implements RecordHandlers {
  done = 0;
  readonly #conn: Conn;
  readonly #head: Uint8Array;
  readonly #decoder: RecordDecoder;
  readonly #running: () => boolean;
  /** The last (up to) five STDOUT content bytes of the current answer, oldest first. */
  readonly #tail = new Uint8Array(HELLO.length);
  #stdoutBytes = 0;
  #stdoutEnded = false;
  /** Set once the last answer is in, after which closing is expected. */
  #finished = false;
  #resolveStopped!: () => void;
  /** Resolves once the answer in flight when the run stopped has come in. */
  readonly stopped: Promise<void>;

  constructor(conn: Conn, head: Uint8Array, running: () => boolean) {
    this.#conn = conn;
    this.#head = head;
    this.#running = running;
    this.#decoder = new RecordDecoder(this, { isExpectedRequestId: (id) => id === REQUEST_ID });
    this.stopped = new Promise<void>((resolve) => (this.#resolveStopped = resolve));
    conn.setHandlers({
      data: (chunk) => {
        try {
          this.#decoder.push(chunk);
        } catch (e) {
          die(`bad answer: ${(e as Error).message}`);
        }
      },
      end: () => {
        if (!this.#finished) die("the backend half-closed a kept connection");
      },
      close: (error?: TransportError) => {
        if (!this.#finished) die(`a kept connection closed${error ? `: ${error.code} ${error.message}` : ""}`);
      },
    });
  }

  start(): void {
    this.#send();
  }

  close(): void {
    this.#conn.close();
  }

  #send(): void {
    this.#stdoutBytes = 0;
    this.#stdoutEnded = false;
    // One buffer per request and a kept connection: the transport's own buffering decides, as in the pool.
    this.#conn.write(this.#head);
  }

  stream(type: number, _requestId: number, data: Uint8Array): void {
    if (type !== RecordType.STDOUT) die(`record type ${type} from the backend: ${new TextDecoder().decode(data)}`);
    if (this.#stdoutEnded) die("STDOUT content after the end of STDOUT");
    this.#stdoutBytes += data.length;
    // Keep the last five bytes without a view per record.
    const tail = this.#tail;
    const keep = tail.length;
    const n = data.length;
    if (n < keep) tail.copyWithin(0, n);
    const from = Math.max(0, n - keep);
    for (let i = from, j = keep - (n - from); i < n; i++, j++) tail[j] = data[i]!;
  }

  streamEnd(type: number): void {
    if (type !== RecordType.STDOUT) die(`end of stream type ${type} from the backend`);
    this.#stdoutEnded = true;
  }

  endRequest(_requestId: number, appStatus: number, protocolStatus: number): void {
    if (protocolStatus !== ProtocolStatus.REQUEST_COMPLETE || appStatus !== 0) die(`END_REQUEST with protocol status ${protocolStatus}, app status ${appStatus}`);
    if (!this.#stdoutEnded) die("END_REQUEST before the end of STDOUT");
    // hello.c's answer: a CGI head, then the 5-byte body.
    const tail = this.#tail;
    if (this.#stdoutBytes <= HELLO.length || tail.some((b, i) => b !== HELLO[i])) {
      die(`the answer (${this.#stdoutBytes} STDOUT bytes) does not end in "hello": ${JSON.stringify(new TextDecoder().decode(tail))}`);
    }
    if (!this.#decoder.idle) die("more bytes after END_REQUEST");
    this.done++;
    if (this.#running()) this.#send();
    else {
      this.#finished = true;
      this.#resolveStopped();
    }
  }

  beginRequest(): void {
    die("BEGIN_REQUEST from the backend");
  }

  abortRequest(): void {
    die("ABORT_REQUEST from the backend");
  }

  management(type: number): void {
    die(`management record type ${type} from the backend`);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = argv[0];
  const m = target === undefined ? null : /^(.+):(\d+)$/.exec(target);
  if (!m) die("usage: io-floor.ts HOST:PORT [--seconds S] [--conns N] [--rounds N]");
  const host = m[1]!;
  const port = Number(m[2]);
  const seconds = Number(flag(argv, "--seconds") ?? 3);
  const conns = Math.round(Number(flag(argv, "--conns") ?? 32));
  const rounds = Math.round(Number(flag(argv, "--rounds") ?? 3));
  if (!(seconds > 0) || !(conns >= 1) || !(rounds >= 1)) die("--seconds, --conns and --rounds need positive numbers");

  const connector: Connector = await runtimeConnector();
  const head = requestHead();
  let running = true;
  const isRunning = () => running;
  const pingers = await Promise.all(
    Array.from({ length: conns }, async () => {
      try {
        return new Pinger(await connector({ kind: "tcp", host, port }, { timeoutMs: 5000 }), head, isRunning);
      } catch (e) {
        return die(`cannot connect to ${host}:${port}: ${(e as Error).message}`);
      }
    }),
  );
  const done = () => pingers.reduce((n, p) => n + p.done, 0);
  for (const p of pingers) p.start();

  await sleep(WARMUP_MS);
  const us: number[] = [];
  const rps: number[] = [];
  let roundTrips = 0;
  for (let i = 0; i < rounds; i++) {
    const cpu0 = process.cpuUsage();
    const n0 = done();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const n = done() - n0;
    const elapsed = (performance.now() - t0) / 1000;
    if (n === 0) die(`no round trip completed in ${seconds} s`);
    us.push((cpu.user + cpu.system) / n);
    rps.push(n / elapsed);
    roundTrips += n;
  }

  running = false;
  const timer = setTimeout(() => die(`the last answers did not come within ${STOP_TIMEOUT_MS} ms`), STOP_TIMEOUT_MS);
  await Promise.all(pingers.map((p) => p.stopped));
  clearTimeout(timer);
  for (const p of pingers) p.close();

  const row: IoFloorRow = { ...runtimeName(), seconds, conns, usPerRoundTrip: median(us), roundTripsPerS: median(rps), rounds: us, roundTrips };
  console.log(JSON.stringify(row));
  // The connections are closed; exit without waiting for each runtime to let go of them.
  process.exit(0);
}

main().catch((e) => die((e as Error)?.stack ?? String(e)));

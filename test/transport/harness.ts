// Shared pieces for the transport tests: the connectors under test, a recorder for a Conn's
// events, an echo server, temp socket paths.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeConnector } from "../../src/platform/connector.ts";
import { runtimeName } from "../../src/platform/runtime.ts";
import { listen, type Listener } from "../../src/transport/listen.ts";
import { connectNode } from "../../src/transport/node.ts";
import type { Conn, Connector, Endpoint, TransportError } from "../../src/transport/types.ts";
import { concat } from "../helpers/bytes.ts";
export { concat };

/** Every test runs against the runtime's own shim and against node:net. */
export const connectors: ReadonlyArray<{ readonly name: string; readonly connect: Connector }> = [
  { name: `${runtimeName()} native`, connect: await runtimeConnector() },
  { name: "node:net", connect: connectNode },
];

export const LOOPBACK: Endpoint = { kind: "tcp", host: "127.0.0.1", port: 0 };
export const TIMEOUT = { timeoutMs: 5000 };

let sockets = 0;
/** A fresh Unix socket path under the temp dir (short: sun_path is ~104 bytes). */
export function socketPath(): string {
  return join(tmpdir(), `pfcgi-tx-${process.pid}-${++sockets}.sock`);
}

export const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
export const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

/** Promise.withResolvers, which Node 20 lacks. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` settles within `ms` (the timer is cleared either way). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}


/** Deterministic pseudo-random bytes (xorshift32), so reordering or reuse would show. */
export function payload(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Everything a Conn reported, with promises for the moments tests wait on. */
export class Recording {
  readonly chunks: Uint8Array[] = [];
  readonly events: string[] = [];
  readonly closes: Array<TransportError | undefined> = [];
  bytes = 0;
  ends = 0;
  #checks: Array<() => boolean> = [];

  constructor(readonly conn: Conn) {
    conn.setHandlers({
      data: (chunk) => {
        this.chunks.push(chunk);
        this.bytes += chunk.byteLength;
        if (this.events.at(-1) !== "data") this.events.push("data");
        this.#check();
      },
      end: () => {
        this.ends++;
        this.events.push("end");
        this.#check();
      },
      close: (error) => {
        this.closes.push(error);
        this.events.push("close");
        this.#check();
      },
    });
  }

  text(): string {
    return decode(concat(this.chunks));
  }

  /** Resolves once `done()` holds, checked after every event. */
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#checks.push(() => {
        if (!done()) return false;
        resolve();
        return true;
      });
    });
  }

  untilBytes(n: number): Promise<void> {
    return this.until(() => this.bytes >= n);
  }

  untilEnd(): Promise<void> {
    return this.until(() => this.ends > 0);
  }

  async untilClose(): Promise<TransportError | undefined> {
    await this.until(() => this.closes.length > 0);
    return this.closes[0];
  }

  #check(): void {
    this.#checks = this.#checks.filter((check) => !check());
  }
}

/** A server that echoes every chunk and half-closes after the client's FIN. */
export function echoServer(endpoint: Endpoint): Promise<Listener> {
  return listen(endpoint, (conn) => {
    conn.setHandlers({
      data: (chunk) => void conn.write(chunk),
      end: () => conn.shutdownWrite(),
      close: () => {},
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const l = await listen(LOOPBACK, (conn) => conn.close());
  await l.close();
  return (l.endpoint as { port: number }).port;
}

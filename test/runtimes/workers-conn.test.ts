// The cloudflare:sockets shim (src/transport/workers.ts) checked against the Conn contract inside workerd:
// a fixture Worker (workers/conn-worker.ts) runs each scenario against loopback servers started here and
// reports what the Conn did.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { listen, type Listener } from "../../src/transport/listen.ts";
import type { Conn } from "../../src/transport/types.ts";
import { bundleWorker } from "./workers/bundle.ts";
import { pattern } from "./workers/pattern.ts";

const sha1 = (bytes: Uint8Array): string => createHash("sha1").update(bytes).digest("hex");
const encode = (s: string) => new TextEncoder().encode(s);

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Reads the whole request (until the client's FIN), then answers `reply(bytes)` and half-closes. */
function replyAfterFin(reply: (received: Uint8Array) => string, holdMs = 0) {
  return (conn: Conn): void => {
    const got: Uint8Array[] = [];
    conn.setHandlers({
      data: (chunk) => void got.push(chunk),
      end: () => {
        conn.write(encode(reply(concat(got))));
        conn.shutdownWrite();
      },
      close: () => clearTimeout(timer),
    });
    // Not reading at first: the client's writes pile up until it has to wait.
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (holdMs > 0) {
      conn.pause();
      timer = setTimeout(() => conn.resume(), holdMs);
    }
  };
}

const PUSH_SIZE = 2 * 1024 * 1024;

/** Sends PUSH_SIZE bytes as fast as the client takes them, then half-closes. */
function push(conn: Conn): void {
  let closed = false;
  conn.setHandlers({ data: () => {}, end: () => {}, close: () => void (closed = true) });
  const data = pattern(PUSH_SIZE, 3);
  void (async () => {
    for (let at = 0; at < PUSH_SIZE && !closed; at += 65536) {
      if (!conn.write(data.subarray(at, at + 65536))) await conn.drained().catch(() => {});
    }
    if (!closed) conn.shutdownWrite();
  })();
}

describe("cloudflare:sockets Conn in workerd (miniflare)", () => {
  let dir: string;
  let mf: Miniflare;
  const servers: Record<string, Listener> = {};
  let closedPort = 0;

  const port = (name: string): number => {
    const ep = servers[name]!.endpoint;
    return ep.kind === "tcp" ? ep.port : 0;
  };
  const run = async <T>(scenario: string, query: Record<string, string | number> = {}): Promise<T> => {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    const res = await mf.dispatchFetch(`http://conn.test/${scenario}?${qs}`);
    const body = (await res.json()) as T & { thrown?: string };
    assert.equal(res.status, 200, body.thrown);
    return body;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pfcgi-workers-conn-"));
    const entry = fileURLToPath(new URL("./workers/conn-worker.ts", import.meta.url));
    const scriptPath = await bundleWorker(dir, entry, "conn-worker.mjs");
    const tcp = { kind: "tcp", host: "127.0.0.1", port: 0 } as const;
    servers.fin = await listen(tcp, replyAfterFin((b) => `got ${new TextDecoder().decode(b)}`));
    servers.fin6 = await listen({ kind: "tcp", host: "::1", port: 0 }, replyAfterFin((b) => `v6 got ${new TextDecoder().decode(b)}`));
    servers.slow = await listen(tcp, replyAfterFin((b) => `${b.byteLength} ${sha1(b)}`, 300));
    servers.push = await listen(tcp, push);
    servers.bye = await listen(tcp, (conn) => {
      conn.setHandlers({ data: () => {}, end: () => {}, close: () => {} });
      conn.write(encode("bye"));
      setTimeout(() => conn.close(), 20);
    });
    servers.idle = await listen(tcp, (conn) => conn.setHandlers({ data: () => {}, end: () => {}, close: () => {} }));
    const gone = await listen(tcp, (c) => c.close());
    closedPort = gone.endpoint.kind === "tcp" ? gone.endpoint.port : 0;
    await gone.close();
    mf = new Miniflare({ modules: true, modulesRoot: dir, scriptPath, compatibilityDate: "2026-04-01", handleRuntimeStdio: () => {} });
    await mf.ready;
  });

  after(async () => {
    await mf?.dispose().catch(() => {}); // rethrows a failed start-up
    for (const s of Object.values(servers)) await s.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("half-close sends FIN and the reply sent after it still arrives; close follows end", async () => {
    const r = await run<{ text: string; events: string[]; closed: boolean }>("halfclose", { port: port("fin") });
    assert.equal(r.text, "got hello");
    assert.deepEqual(r.events, ["data", "end", "close"]);
    assert.equal(r.closed, true);
  });

  it("connects to an IPv6 literal (workerd needs it in brackets)", async () => {
    const r = await run<{ text: string }>("halfclose", { port: port("fin6"), host: "::1" });
    assert.equal(r.text, "v6 got hello");
  });

  it("write backpressure: write() turns false, drained() waits for the peer, every byte arrives in order", async () => {
    const size = 8 * 1024 * 1024;
    const r = await run<{ refusals: number; waitedMs: number; reply: string }>("backpressure", { port: port("slow"), size });
    assert.equal(r.reply, `${size} ${sha1(pattern(size, 7))}`);
    assert.ok(r.refusals > 0, "write() never returned false");
    assert.ok(r.waitedMs >= 100, `drained() waited only ${r.waitedMs} ms for a peer that read nothing for 300 ms`);
  });

  it("pause() stops delivery and resume() replays what was held, in order", async () => {
    const r = await run<{ whilePaused: number; stillSecond: boolean; bytes: number; sha1: string; events: string[] }>("pause", { port: port("push") });
    assert.equal(r.whilePaused, 0);
    assert.equal(r.stillSecond, true);
    assert.equal(r.bytes, PUSH_SIZE);
    assert.equal(r.sha1, sha1(pattern(PUSH_SIZE, 3)));
    assert.deepEqual(r.events, ["data", "end", "close"]);
  });

  it("close() is idempotent: one close event without error; then write() is false and drained() rejects", async () => {
    const r = await run<Record<string, unknown>>("close", { port: port("idle") });
    assert.deepEqual(r, { closeCount: 1, closeError: null, writeAfter: false, drained: "ECLOSED", closed: true });
  });

  it("the peer closing is an end, then a close", async () => {
    const r = await run<{ text: string; events: string[] }>("peerclose", { port: port("bye") });
    assert.equal(r.text, "bye");
    assert.deepEqual(r.events, ["data", "end", "close"]);
  });

  it("a refused connect is ECONNREFUSED with workerd's message and the address", async () => {
    const r = await run<{ error: { name: string; code: string; message: string } }>("connect", { port: closedPort });
    assert.equal(r.error.name, "TransportError");
    assert.equal(r.error.code, "ECONNREFUSED");
    assert.match(r.error.message, new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
    assert.match(r.error.message, /cannot connect to the specified address/);
  });

  it("secureTransport on against a plaintext server fails to connect, reported the same way", async () => {
    // (`opened` waits for the TLS handshake: against a server that says nothing it is the connect timeout.)
    const r = await run<{ error: { code: string; message: string } }>("tls", { port: port("bye") });
    assert.equal(r.error.code, "ECONNREFUSED");
    assert.match(r.error.message, /cannot connect to the specified address/);
  });

  it("a unix endpoint is refused with a TransportError that says why", async () => {
    const r = await run<{ error: { name: string; message: string } }>("unix");
    assert.equal(r.error.name, "TransportError");
    assert.match(r.error.message, /no Unix sockets/);
  });
});

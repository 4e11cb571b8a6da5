// The Conn contract, checked against the runtime's own shim and node:net, with listen() servers.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { listen } from "../../src/transport/listen.ts";
import { TransportError, type Conn, type Endpoint } from "../../src/transport/types.ts";
import {
  LOOPBACK, TIMEOUT, Recording, closedPort, concat, connectors, decode, deferred, echoServer, encode,
  payload, settlesWithin, sleep, socketPath,
} from "./harness.ts";

const isCode = (...codes: string[]) => (err: unknown): boolean => {
  assert.ok(err instanceof TransportError, `expected a TransportError, got ${String(err)}`);
  assert.ok(codes.includes(err.code), `code ${err.code}, expected ${codes.join(" or ")}`);
  return true;
};

const endpoints: ReadonlyArray<{ readonly kind: string; make(): Endpoint }> = [
  { kind: "TCP", make: () => LOOPBACK },
  { kind: "TCP ::1", make: () => ({ kind: "tcp", host: "::1", port: 0 }) },
  { kind: "Unix", make: () => ({ kind: "unix", path: socketPath() }) },
];

for (const { name, connect } of connectors) {
  describe(`Conn over ${name}`, () => {
    for (const { kind, make } of endpoints) {
      it(`${kind}: connects and echoes`, async () => {
        const server = await echoServer(make());
        try {
          const rec = new Recording(await connect(server.endpoint, TIMEOUT));
          await rec.conn.drained(); // nothing queued: resolves at once
          assert.equal(rec.conn.write(encode("hello ")), true);
          rec.conn.write(encode("world"));
          await rec.untilBytes(11);
          assert.equal(rec.text(), "hello world");
          assert.equal(rec.conn.closed, false);
          rec.conn.close();
          assert.equal(await rec.untilClose(), undefined);
        } finally {
          await server.close();
        }
      });

      it(`${kind}: half-close sends FIN and the reply still arrives`, async () => {
        let serverSawEnd = false;
        const server = await listen(make(), (conn) => {
          const got: Uint8Array[] = [];
          conn.setHandlers({
            data: (chunk) => void got.push(chunk),
            end: () => {
              serverSawEnd = true;
              conn.write(encode(`reply to ${decode(concat(got))}`));
              conn.shutdownWrite();
            },
            close: () => {},
          });
        });
        try {
          const rec = new Recording(await connect(server.endpoint, TIMEOUT));
          rec.conn.write(encode("ping"));
          rec.conn.shutdownWrite();
          rec.conn.shutdownWrite(); // idempotent
          assert.throws(() => rec.conn.write(encode("late")), isCode("EPIPE"));
          await rec.untilEnd();
          assert.ok(serverSawEnd);
          assert.equal(rec.text(), "reply to ping");
          // Both directions are done: the socket closes on its own, cleanly.
          assert.equal(await rec.untilClose(), undefined);
          assert.deepEqual(rec.events, ["data", "end", "close"]);
        } finally {
          await server.close();
        }
      });
    }

    it("ECONNREFUSED for a closed port", async () => {
      const port = await closedPort();
      await assert.rejects(connect({ kind: "tcp", host: "127.0.0.1", port }, TIMEOUT), isCode("ECONNREFUSED"));
    });

    it("ENOENT for a missing Unix socket path", async () => {
      await assert.rejects(connect({ kind: "unix", path: socketPath() }, TIMEOUT), isCode("ENOENT"));
    });

    it("backpressure: write() false against a paused peer, drained() once it resumes, 16 MiB intact", async () => {
      const SIZE = 16 * 1024 * 1024;
      const CHUNK = 64 * 1024;
      const data = payload(SIZE);
      const expected = createHash("sha256").update(data).digest("hex");
      let serverConn: Conn | undefined;
      let serverPaused = true;
      let deliveredWhilePaused = 0;
      const server = await listen(LOOPBACK, (conn) => {
        serverConn = conn;
        const hash = createHash("sha256");
        let bytes = 0;
        conn.pause();
        conn.setHandlers({
          data: (chunk) => {
            if (serverPaused) deliveredWhilePaused++;
            hash.update(chunk);
            bytes += chunk.byteLength;
          },
          end: () => {
            conn.write(encode(`${bytes} ${hash.digest("hex")}`));
            conn.shutdownWrite();
          },
          close: () => {},
        });
      });
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        // Write until the runtime says "full" and stays full: queues in user space (Deno's, Bun's)
        // may say "full" early and drain into the kernel, so only a drain that does not come counts.
        let offset = 0;
        let stall: Promise<void> | undefined;
        while (offset < SIZE && stall === undefined) {
          const ok = rec.conn.write(data.subarray(offset, offset + CHUNK));
          offset += CHUNK;
          if (ok) continue;
          const drained = rec.conn.drained();
          if (!(await settlesWithin(drained, 150))) stall = drained;
        }
        assert.ok(stall !== undefined, `never stalled after ${offset} bytes to a paused peer`);
        assert.equal(deliveredWhilePaused, 0, "the paused server received data");
        serverPaused = false;
        serverConn!.resume();
        await stall;
        while (offset < SIZE) {
          const ok = rec.conn.write(data.subarray(offset, offset + CHUNK));
          offset += CHUNK;
          if (!ok) await rec.conn.drained();
        }
        rec.conn.shutdownWrite();
        await rec.untilEnd();
        assert.equal(rec.text(), `${SIZE} ${expected}`);
        assert.equal(await rec.untilClose(), undefined);
      } finally {
        await server.close();
      }
    });

    it("close() is idempotent and the close handler fires once, asynchronously", async () => {
      const server = await echoServer(LOOPBACK);
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        rec.conn.close();
        rec.conn.close();
        assert.equal(rec.conn.closed, true);
        assert.equal(rec.closes.length, 0, "close handler ran inside close()");
        assert.equal(rec.conn.write(encode("x")), false);
        rec.conn.shutdownWrite(); // a no-op once closed
        await assert.rejects(rec.conn.drained(), isCode("ECLOSED"));
        assert.equal(await rec.untilClose(), undefined);
        await sleep(50);
        rec.conn.close();
        await sleep(10);
        assert.deepEqual(rec.closes, [undefined]);
        assert.deepEqual(rec.events, ["close"]);
      } finally {
        await server.close();
      }
    });

    it("pause() stops delivery, including the end; resume() delivers in order", async () => {
      const server = await listen(LOOPBACK, (conn) => {
        conn.setHandlers({
          data: () => {
            conn.write(payload(1000));
            conn.shutdownWrite();
          },
          end: () => {},
          close: () => {},
        });
      });
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        rec.conn.pause();
        rec.conn.write(encode("go"));
        await sleep(150);
        assert.equal(rec.bytes, 0, "data delivered while paused");
        assert.equal(rec.ends, 0, "end delivered while paused");
        rec.conn.resume();
        await rec.untilEnd();
        assert.deepEqual(concat(rec.chunks), payload(1000));
        assert.equal(await rec.untilClose(), undefined);
        assert.deepEqual(rec.events, ["data", "end", "close"]);
      } finally {
        await server.close();
      }
    });

    it("pause() inside a data handler holds the rest of a stream until resume()", async () => {
      const SIZE = 4 * 1024 * 1024;
      const server = await listen(LOOPBACK, (conn) => {
        conn.setHandlers({ data: () => {}, end: () => {}, close: () => {} });
        conn.write(payload(SIZE));
        conn.shutdownWrite();
      });
      try {
        const conn = await connect(server.endpoint, TIMEOUT);
        const chunks: Uint8Array[] = [];
        let bytes = 0;
        let atPause = -1;
        const paused = deferred<void>();
        const ended = deferred<void>();
        const closed = deferred<TransportError | undefined>();
        conn.setHandlers({
          data: (chunk) => {
            chunks.push(chunk);
            bytes += chunk.byteLength;
            if (atPause < 0) {
              conn.pause();
              atPause = bytes;
              paused.resolve();
            }
          },
          end: () => ended.resolve(),
          close: (error) => closed.resolve(error),
        });
        await paused.promise;
        await sleep(150);
        assert.equal(bytes, atPause, "data delivered while paused");
        conn.resume();
        await ended.promise;
        assert.deepEqual(concat(chunks), payload(SIZE));
        assert.equal(await closed.promise, undefined);
      } finally {
        await server.close();
      }
    });

    it("a peer that half-closes and then closes gives data, end, close", async () => {
      const server = await listen(LOOPBACK, (conn) => {
        conn.setHandlers({ data: () => {}, end: () => conn.close(), close: () => {} });
        conn.write(encode("bye"));
        conn.shutdownWrite();
      });
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        assert.equal(await rec.untilClose(), undefined);
        assert.equal(rec.text(), "bye");
        assert.deepEqual(rec.events, ["data", "end", "close"]);
      } finally {
        await server.close();
      }
    });

    it("a peer that closes at once gives end, close", async () => {
      const server = await listen(LOOPBACK, (conn) => conn.close());
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        assert.equal(await rec.untilClose(), undefined);
        assert.deepEqual(rec.events, ["end", "close"]);
      } finally {
        await server.close();
      }
    });

    it("a peer reset closes with ECONNRESET or EPIPE", async () => {
      // Closing with unread bytes in the kernel's receive queue makes the server send RST.
      const server = await listen(LOOPBACK, (conn) => {
        conn.setHandlers({ data: () => conn.close(), end: () => {}, close: () => {} });
      });
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        rec.conn.write(payload(8 * 1024 * 1024));
        const error = await rec.untilClose();
        assert.ok(error !== undefined, "closed without an error");
        isCode("ECONNRESET", "EPIPE")(error);
        assert.deepEqual(rec.closes.length, 1);
        await assert.rejects(rec.conn.drained(), isCode("ECONNRESET", "EPIPE"));
      } finally {
        await server.close();
      }
    });

    it("data chunks are distinct plain Uint8Arrays that are never reused", async () => {
      const SIZE = 2 * 1024 * 1024;
      const data = payload(SIZE, 7);
      const server = await listen(LOOPBACK, (conn) => {
        conn.setHandlers({ data: () => {}, end: () => {}, close: () => {} });
        for (let offset = 0; offset < SIZE; offset += 4096) conn.write(data.subarray(offset, offset + 4096));
        conn.shutdownWrite();
      });
      try {
        const rec = new Recording(await connect(server.endpoint, TIMEOUT));
        await rec.untilEnd();
        assert.ok(rec.chunks.length > 1, "expected several reads");
        // Content checked after the last read: a reused buffer would have been overwritten.
        assert.deepEqual(concat(rec.chunks), data);
        const byBuffer = new Map<ArrayBufferLike, Uint8Array[]>();
        for (const chunk of rec.chunks) {
          assert.equal(Object.getPrototypeOf(chunk), Uint8Array.prototype);
          const list = byBuffer.get(chunk.buffer) ?? [];
          list.push(chunk);
          byBuffer.set(chunk.buffer, list);
        }
        for (const list of byBuffer.values()) {
          list.sort((a, b) => a.byteOffset - b.byteOffset);
          for (let i = 1; i < list.length; i++) {
            assert.ok(list[i - 1]!.byteOffset + list[i - 1]!.byteLength <= list[i]!.byteOffset, "chunks overlap");
          }
        }
        await rec.untilClose();
      } finally {
        await server.close();
      }
    });

    it("setHandlers() swaps the receiver mid-connection", async () => {
      const server = await echoServer(LOOPBACK);
      try {
        const conn = await connect(server.endpoint, TIMEOUT);
        const first = new Recording(conn);
        conn.write(encode("one"));
        await first.untilBytes(3);
        const second = new Recording(conn);
        conn.write(encode("two"));
        await second.untilBytes(3);
        assert.equal(first.text(), "one");
        assert.equal(second.text(), "two");
        conn.close();
        await second.untilClose();
        assert.equal(first.closes.length, 0);
      } finally {
        await server.close();
      }
    });
  });
}

// listen(): the node:net listener for the project's own FastCGI servers.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, linkSync, lstatSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { listen } from "../../src/transport/listen.ts";
import { TransportError } from "../../src/transport/types.ts";
import { LOOPBACK, TIMEOUT, Recording, connectors, echoServer, encode, socketPath } from "./harness.ts";

const noop = { data: () => {}, end: () => {}, close: () => {} };

describe("listen", () => {
  it("reports the port it bound for port 0", async () => {
    const server = await echoServer(LOOPBACK);
    try {
      assert.equal(server.endpoint.kind, "tcp");
      if (server.endpoint.kind !== "tcp") return;
      assert.equal(server.endpoint.host, "127.0.0.1");
      assert.ok(server.endpoint.port > 0);
    } finally {
      await server.close();
    }
  });

  it("creates the Unix socket file and removes it on close", async () => {
    const path = socketPath();
    const server = await echoServer({ kind: "unix", path });
    assert.ok(lstatSync(path).isSocket());
    await server.close();
    assert.equal(existsSync(path), false);
  });

  it("replaces a stale socket file nobody listens on", async () => {
    // A socket file with no server behind it: a hard link to a listener's socket outlives it.
    const live = socketPath();
    const stale = socketPath();
    const first = await echoServer({ kind: "unix", path: live });
    linkSync(live, stale);
    await first.close();
    assert.ok(lstatSync(stale).isSocket());
    const server = await echoServer({ kind: "unix", path: stale });
    await server.close();
    assert.equal(existsSync(stale), false);
  });

  it("refuses a path that is a regular file, and leaves the file alone", async () => {
    const path = socketPath();
    writeFileSync(path, "keep me");
    try {
      await assert.rejects(echoServer({ kind: "unix", path }), /not a socket/);
      assert.equal(readFileSync(path, "utf8"), "keep me");
    } finally {
      rmSync(path);
    }
  });

  it("refuses a path where a server is already listening", async () => {
    const path = socketPath();
    const server = await echoServer({ kind: "unix", path });
    try {
      await assert.rejects(echoServer({ kind: "unix", path }), (err: unknown) =>
        (err as { code?: unknown }).code === "EADDRINUSE");
    } finally {
      await server.close();
    }
  });

  for (const { name, connect } of connectors) {
    describe(`with clients over ${name}`, () => {
      it("counts accepted and open connections", async () => {
        // Server conns stay half-open after the client's FIN: this server closes on it.
        const server = await listen(LOOPBACK, (conn) => conn.setHandlers({ ...noop, end: () => conn.close() }));
        try {
          const a = new Recording(await connect(server.endpoint, TIMEOUT));
          const b = new Recording(await connect(server.endpoint, TIMEOUT));
          await waitFor(() => server.accepted === 2);
          assert.equal(server.connections, 2);
          a.conn.close();
          await a.untilClose();
          await waitFor(() => server.connections === 1);
          assert.equal(server.accepted, 2);
          b.conn.close();
          await b.untilClose();
          await waitFor(() => server.connections === 0);
        } finally {
          await server.close();
        }
      });

      it("close() stops listening and closes open connections", async () => {
        const serverCloses: Array<TransportError | undefined> = [];
        const server = await listen(LOOPBACK, (conn) => {
          conn.setHandlers({ ...noop, close: (error) => void serverCloses.push(error) });
        });
        const client = new Recording(await connect(server.endpoint, TIMEOUT));
        client.conn.write(encode("hi"));
        await waitFor(() => server.connections === 1);
        const closing = server.close();
        assert.equal(server.close(), closing, "close() is idempotent");
        await closing;
        await client.untilClose();
        assert.equal(server.connections, 0);
        await waitFor(() => serverCloses.length === 1);
        await assert.rejects(connect(server.endpoint, TIMEOUT), (err: unknown) =>
          err instanceof TransportError && err.code === "ECONNREFUSED");
      });

      it("Unix: connections work and the path is refused after close", async () => {
        const path = socketPath();
        const server = await echoServer({ kind: "unix", path });
        const client = new Recording(await connect(server.endpoint, TIMEOUT));
        client.conn.write(encode("ping"));
        await client.untilBytes(4);
        await server.close();
        await client.untilClose();
        await assert.rejects(connect(server.endpoint, TIMEOUT), (err: unknown) =>
          err instanceof TransportError && err.code === "ENOENT");
      });
    });
  }
});

/** Polls a condition the listener updates from socket events (no event to await for it). */
async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

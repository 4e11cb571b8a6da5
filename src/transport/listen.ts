// A listener for the project's own FastCGI servers (demo and test backends), on node:net so one
// implementation serves Node, Deno and Bun. Accepted sockets are exposed as the same Conn as
// outgoing ones (NodeConn), paused until the owner sets handlers. Unlike client conns they stay
// half-open after the peer's FIN: a server replies after reading the whole request.

import { connect, createServer, type Server, type Socket } from "node:net";
import { lstat, unlink } from "node:fs/promises";
import { NodeConn } from "./node-conn.ts";
import type { Conn, Endpoint } from "./types.ts";

export interface Listener {
  /** Where it listens; for TCP with port 0, the port actually bound. */
  readonly endpoint: Endpoint;
  /** Connections currently open. */
  readonly connections: number;
  /** Connections accepted since listen(). */
  readonly accepted: number;
  /** Stops listening, destroys every open connection, removes a Unix socket file. */
  close(): Promise<void>;
}

export async function listen(endpoint: Endpoint, onConnection: (conn: Conn) => void): Promise<Listener> {
  if (endpoint.kind === "unix") await removeStaleSocket(endpoint.path);
  const open = new Set<Socket>();
  let accepted = 0;
  // allowHalfOpen: a client's FIN (end of request) must not end our reply (see node-conn.ts).
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    if (endpoint.kind === "tcp") socket.setNoDelay(true);
    onConnection(new NodeConn(socket, true));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const ready = (): void => {
      server.off("error", reject);
      resolve();
    };
    if (endpoint.kind === "tcp") server.listen(endpoint.port, endpoint.host, ready);
    else server.listen(endpoint.path, ready);
  });
  const bound = boundEndpoint(server, endpoint);
  let closing: Promise<void> | undefined;
  return {
    endpoint: bound,
    get connections() {
      return open.size;
    },
    get accepted() {
      return accepted;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }).then(() => (bound.kind === "unix" ? unlinkQuietly(bound.path) : undefined));
      return closing;
    },
  };
}

function boundEndpoint(server: Server, requested: Endpoint): Endpoint {
  if (requested.kind === "unix") return requested;
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : requested.port;
  return { kind: "tcp", host: requested.host, port };
}

/**
 * A socket file left by a server that died would make listen() fail with EADDRINUSE. Remove it
 * only if it is a socket nobody answers on: never a regular file, never a live server's socket.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return;
    throw err;
  }
  if (!isSocket) throw new Error(`listen ${path}: exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => {
      probe.destroy();
      resolve(false);
    });
  });
  if (live) throw Object.assign(new Error(`listen ${path}: a server is already listening`), { code: "EADDRINUSE" });
  await unlinkQuietly(path);
}

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "ENOENT") throw err;
  }
}

// Connector on node:net. Works in Node, and in Deno and Bun through their node:net.

import { connect, type Socket } from "node:net";
import { connectWithTimeout, endpointLabel } from "./connecting.ts";
import { NodeConn } from "./node-conn.ts";
import type { Conn, Connector } from "./types.ts";

export const connectNode: Connector = (endpoint, options) =>
  connectWithTimeout<Conn>(
    endpointLabel(endpoint),
    options.timeoutMs,
    (signal) =>
      new Promise<Conn>((resolve, reject) => {
        // allowHalfOpen: ConnBase, not node:net, ends our side after the peer's FIN (see node-conn.ts).
        const socket: Socket =
          endpoint.kind === "tcp"
            ? connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true })
            : connect({ path: endpoint.path, allowHalfOpen: true });
        // Node and Deno leave Nagle on; with it, small request records stall ~40 ms.
        if (endpoint.kind === "tcp") socket.setNoDelay(true);
        const onAbort = (): void => {
          socket.destroy();
        };
        const onError = (err: Error): void => {
          signal.removeEventListener("abort", onAbort);
          socket.destroy();
          reject(err);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        socket.once("error", onError);
        socket.once("connect", () => {
          signal.removeEventListener("abort", onAbort);
          socket.off("error", onError);
          resolve(new NodeConn(socket, false));
        });
      }),
    (late) => late.close(),
  );

// A listening socket on Node for children's fd 0: a node:net server whose accept watcher is stopped at once
// (libuv's uv_read_stop on a listening handle stops accepting), so every connection waits in the backlog for
// a child. Node has no FFI; this is the one internal handle method the project uses, and the apps tests
// fail if Node ever accepts on it.
import { chmodSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { ListenAddress, ListeningSocket } from "./types.ts";

interface ListeningHandle {
  readonly fd: number;
  readStop(): number;
}

/** Binds and listens, then stops accepting; the descriptor goes to the children. */
export async function nodeListen(address: ListenAddress, backlog: number): Promise<ListeningSocket> {
  const server: Server = createServer(() => {
    throw new Error("the gateway accepted a connection meant for an app"); // readStop() makes this unreachable
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const opts = address.kind === "tcp" ? { host: address.host, port: address.port, backlog, exclusive: true } : { path: address.path, backlog, exclusive: true };
    server.listen(opts, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const handle = (server as unknown as { _handle: ListeningHandle | null })._handle;
  if (!handle || typeof handle.readStop !== "function" || typeof handle.fd !== "number" || handle.fd < 0) {
    server.close();
    throw new Error("this Node cannot hold a listening socket for a child (no handle descriptor)");
  }
  handle.readStop();
  if (address.kind === "unix") chmodSync(address.path, address.mode);
  const info = server.address();
  let open = true;
  return {
    fd: handle.fd,
    port: typeof info === "object" && info !== null ? info.port : null,
    close() {
      if (!open) return;
      open = false;
      server.close(); // removes a Unix socket's file too
    },
  };
}

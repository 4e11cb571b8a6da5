// A listening socket for children's fd 0 on Node. Node cannot keep a listening socket open without accepting
// on it (libuv watches every listening handle; uv_read_stop is a no-op on one, and there is no FFI), so the
// socket is bound at a private temporary name nobody connects to, handed to the children, and `publish`ed:
// renamed to its real path and closed here in the same turn of the event loop, before any accept could run.
import { chmodSync, renameSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { ListenAddress, ListeningSocket } from "./types.ts";

/** Binds and listens; the descriptor goes to the children, then publish() gives the socket up. */
export async function nodeListen(address: ListenAddress, backlog: number): Promise<ListeningSocket> {
  const server: Server = createServer((socket) => socket.destroy()); // nobody knows the temporary name
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const opts = address.kind === "tcp" ? { host: address.host, port: address.port, backlog, exclusive: true } : { path: address.path, backlog, exclusive: true };
    server.listen(opts, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const fd = (server as unknown as { _handle: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) {
    server.close();
    throw new Error("this Node exposes no descriptor for a listening socket");
  }
  if (address.kind === "unix") chmodSync(address.path, address.mode);
  const info = server.address();
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    server.close();
  };
  return {
    fd,
    port: typeof info === "object" && info !== null ? info.port : null,
    publish(to) {
      if (address.kind === "unix" && to !== address.path) renameSync(address.path, to);
      close(); // libuv unlinks the temporary name, which no longer exists
    },
    close,
  };
}

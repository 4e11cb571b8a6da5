// What the apps layer asks of the runtime: listening sockets to hand to a child as its fd 0, and child
// processes in their own process group with their output as lines.

/** Where an app listens: a TCP address or a Unix socket path (with the mode its file gets). */
export type ListenAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string; readonly mode: number };

/**
 * A listening socket for children's fd 0 (FastCGI's FCGI_LISTENSOCK_FILENO). Where the runtime can hold one
 * without accepting on it (`Processes.holdsSockets`), the gateway keeps it open across the children's
 * restarts, so connections wait in its backlog while a child is replaced. Where it cannot (Node), it is bound
 * at a private temporary name, handed to the children, then `publish`ed: moved to its real path and closed
 * in the gateway in the same turn of the event loop, before the gateway could accept on it.
 */
export interface ListeningSocket {
  /** The descriptor, for a child's stdio[0]. */
  readonly fd: number;
  /** The port actually bound (TCP; port 0 asks the kernel for one), or null for a Unix socket. */
  readonly port: number | null;
  /** Renames a Unix socket to `path` (atomically replacing an earlier one) and closes the gateway's copy. */
  publish(path: string): void;
  /** Closes the descriptor and removes a Unix socket's file. Idempotent. */
  close(): void;
}

/** How a child ended: an exit code, or the signal that killed it. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** What to start. The environment is the child's whole environment. */
export interface ChildSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  /** A listening socket's descriptor as fd 0, or null for /dev/null. */
  readonly stdinFd: number | null;
}

/** A running child, leader of its own process group (so its own children stop with it). */
export interface Child {
  readonly pid: number;
  /** Settles once when the child has exited. */
  readonly exited: Promise<ChildExit>;
  /** Sends `signal` to the child's whole process group (also after the child itself exited); false once the group is empty. */
  signalGroup(signal: string): boolean;
  /** Ends the guard that would kill the group if the gateway died; call once the group is gone. */
  release(): void;
}

/** A line the child wrote, without its newline. */
export type ChildOutput = (stream: "stdout" | "stderr", line: string) => void;

/** The runtime's process services. */
export interface Processes {
  /** A runtime's name for error messages ("node", "deno", "bun"). */
  readonly runtime: string;
  /** Whether a listening socket can stay open in the gateway without the gateway accepting on it. */
  readonly holdsSockets: boolean;
  listen(address: ListenAddress, backlog: number): Promise<ListeningSocket>;
  spawn(spec: ChildSpec, output: ChildOutput): Child;
}

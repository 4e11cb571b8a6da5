// What the apps layer asks of the runtime: listening sockets to hand to a child as its fd 0, and child
// processes in their own process group with their output as lines.

/** Where an app listens: a TCP address or a Unix socket path (with the mode its file gets). */
export type ListenAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string; readonly mode: number };

/**
 * A listening socket the gateway holds but never accepts on: its descriptor is handed to children as fd 0
 * (FastCGI's FCGI_LISTENSOCK_FILENO), and stays open across their restarts.
 */
export interface ListeningSocket {
  /** The descriptor, for a child's stdio[0]. */
  readonly fd: number;
  /** The port actually bound (TCP; port 0 asks the kernel for one), or null for a Unix socket. */
  readonly port: number | null;
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
}

/** A line the child wrote, without its newline. */
export type ChildOutput = (stream: "stdout" | "stderr", line: string) => void;

/** The runtime's process services. */
export interface Processes {
  /** A runtime's name for error messages ("node", "deno", "bun"). */
  readonly runtime: string;
  listen(address: ListenAddress, backlog: number): Promise<ListeningSocket>;
  spawn(spec: ChildSpec, output: ChildOutput): Child;
}

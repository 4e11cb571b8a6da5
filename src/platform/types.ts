// The runtime services the core is handed (ARCHITECTURE.md, platform layer): the core never asks which runtime
// it runs on; the adapters and the CLI build a Platform (src/platform/current.ts) and pass it down.
import type { IsFile } from "../cgi/script-paths.ts";
import type { Connector } from "../transport/types.ts";

export type { IsFile };

/** The runtimes proxy-fcgi knows. Bun and Deno also define `process`, so they are told apart first. */
export type RuntimeName = "node" | "deno" | "bun" | "workerd";

/** Log severities, least severe first. */
export type LogLevel = "info" | "warn" | "error";
/** Where formatted log lines go: one call per line, the line without its newline. */
export type LogSink = (level: LogLevel, line: string) => void;

/** A spool file for a request body; unlinked as soon as it is open. */
export interface TempFile {
  write(chunk: Uint8Array): Promise<void>;
  /** Reads the whole file back, in order, once. Closing the reader or reaching the end disposes the file. */
  readable(): ReadableStream<Uint8Array>;
  dispose(): Promise<void>;
}

/** Opens a new temp file for spooling. */
export type TempStore = () => Promise<TempFile>;

/** Lets a timer not keep the process alive by itself (a pool's idle sweep, the next health check). */
export type UnrefTimer = (timer: ReturnType<typeof setTimeout>) => void;

/** What a site needs to know of a path: its kind, size and time, and its identity (to tell two opens apart). */
export interface FileStat {
  readonly kind: "file" | "directory" | "other";
  readonly size: number;
  readonly mtimeMs: number;
  readonly dev: number;
  readonly ino: number;
}

/** A regular file opened once: every byte a static response sends comes from this descriptor. */
export interface OpenFile {
  /** fstat of the descriptor at open. */
  readonly stat: FileStat;
  /** Reads up to `length` bytes at `position` into a fresh buffer; fewer only at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** true while the descriptor's size and mtime are still those of `stat` (a file rewritten mid-send is not). */
  unchanged(): Promise<boolean>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** The filesystem as a site sees it; paths are absolute. Missing or unreadable paths give null. */
export interface SiteFiles {
  /** stat(2), following symlinks. */
  stat(path: string): Promise<FileStat | null>;
  /** realpath(3). */
  realpath(path: string): Promise<string | null>;
  /** Opens a regular file for reading (never blocks on a FIFO); null when it is missing or not a regular file. */
  open(path: string): Promise<OpenFile | null>;
}

/** What the running runtime gives the core. */
export interface Platform {
  readonly runtime: RuntimeName;
  /** Opens backend sockets. */
  readonly connector: Connector;
  readonly unrefTimer: UnrefTimer;
  /** The `is a regular file` probe for path-info=full; null where there is no filesystem (Workers). */
  readonly isFile: IsFile | null;
  /** File access for sites (document roots); null where there is no filesystem (Workers). */
  readonly siteFiles: SiteFiles | null;
  /** Temp files for spooling request bodies; null spools in memory only (Workers). */
  readonly tempStore: TempStore | null;
  /** In-memory spool cap when there is no temp store, bytes. */
  readonly memorySpoolCap: number;
  /** The default log sink; `flushLog` writes what it still holds. */
  readonly log: LogSink;
  readonly flushLog: () => void;
  /**
   * false where a socket cannot outlive the request that opened it (Workers): every request gets its own
   * connection, and there is no GET_VALUES probe and no health-check timer.
   */
  readonly connectionsOutliveRequests: boolean;
  /** false where the runtime cannot open Unix sockets (Workers). */
  readonly unixSockets: boolean;
}

// The Platform of the running runtime: what the adapters and the CLI hand the gateway unless told otherwise.
// On Workers (workerd) a socket cannot outlive the request that opened it, there are no Unix sockets and no
// filesystem, bodies spool in memory (≤ 32 MiB) and log lines go out at once.
import { lazyConnector } from "./connector.ts";
import { flushLog, immediateSink, stderrSink } from "./log-sink.ts";
import { RUNTIME } from "./runtime.ts";
import { unrefTimer } from "./timers.ts";
import type { Platform, SiteFiles } from "./types.ts";

/** In-memory spool cap where there is no temp store (Workers), bytes. */
export const WORKERS_SPOOL_CAP = 32 * 1024 * 1024;
/** In-memory spool cap elsewhere, used only when a caller removes the temp store. */
const MEMORY_SPOOL_CAP = 32 * 1024 * 1024;

// Dynamic imports: the Workers build leaves files.ts out (it would need node:fs), so nothing may load it statically.
const isFile = async (path: string): Promise<boolean> => (await import("./files.ts")).isFile(path);
const tempStore = async () => (await import("./files.ts")).createTempFile();

let siteFilesModule: Promise<SiteFiles> | undefined;
const siteModule = () => (siteFilesModule ??= import("./site-files.ts").then((m) => m.nodeSiteFiles));
/** SiteFiles that load node:fs on first use (the module is cached after that: one await, no import per call). */
const siteFiles: SiteFiles = {
  stat: async (path) => (await siteModule()).stat(path),
  realpath: async (path) => (await siteModule()).realpath(path),
  open: async (path) => (await siteModule()).open(path),
};

/** A fresh Platform for the running runtime (each gateway gets its own lazily loaded connector). */
export function currentPlatform(): Platform {
  if (RUNTIME === "workerd") {
    return {
      runtime: RUNTIME,
      connector: lazyConnector(),
      unrefTimer,
      isFile: null,
      siteFiles: null,
      tempStore: null,
      memorySpoolCap: WORKERS_SPOOL_CAP,
      log: immediateSink,
      flushLog: () => {},
      connectionsOutliveRequests: false,
      unixSockets: false,
    };
  }
  return {
    runtime: RUNTIME,
    connector: lazyConnector(),
    unrefTimer,
    isFile,
    siteFiles,
    tempStore,
    memorySpoolCap: MEMORY_SPOOL_CAP,
    log: stderrSink,
    flushLog,
    connectionsOutliveRequests: true,
    unixSockets: true,
  };
}

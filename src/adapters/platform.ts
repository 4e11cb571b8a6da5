// What the running runtime cannot do, as gateway options: on Workers (workerd) a socket cannot outlive the
// request that opened it, there are no Unix sockets and no filesystem, and bodies spool in memory (≤ 32 MiB).
import type { GatewayOptions } from "../gateway/gateway.ts";
import { runtimeName } from "../transport/connector.ts";
import { immediateSink } from "../gateway/log.ts";

export const WORKERS_SPOOL_CAP = 32 * 1024 * 1024;

export function platformDefaults(): GatewayOptions {
  if (runtimeName() !== "workerd") return {};
  // Log lines go out at once: a batching timer may never fire once the request that set it has ended.
  return { connectionsOutliveRequests: false, unixSockets: false, isFile: null, tempStore: null, memorySpoolCap: WORKERS_SPOOL_CAP, log: immediateSink };
}

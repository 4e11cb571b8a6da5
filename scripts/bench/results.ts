// The shape of a benchmark run's results: what the scenarios produce and the report and chart read.
import type { MachineInfo } from "./machine.ts";
import type { ProxyId } from "./proxy/types.ts";
import type { StreamsResult } from "./streams.ts";
import type { WrkResult } from "./wrk.ts";

export interface WrkRun {
  readonly proxy: ProxyId;
  /** Which interleaved pair (0-based) the run belongs to. */
  readonly pair: number;
  readonly wrk: Omit<WrkResult, "raw">;
  readonly cpuS: number;
  readonly cpuUsPerReq: number;
  readonly peakRss: number;
  /** Cores busy with processes this benchmark did not start (and kernel work), and stolen: noise. */
  readonly otherCores: number;
  readonly stealCores: number;
  /** The nginx run right before this one, when this is not nginx (the other half of the pair). */
  readonly nginxRun?: number;
}

export interface WrkRow {
  readonly proxy: ProxyId;
  readonly label: string;
  readonly runs: number;
  /** Medians over the runs. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUsPerReq: number;
  /** Median over the pairs of (this run's CPU µs/req ÷ the paired nginx run's); 1 for nginx. */
  readonly cpuRatio: number;
  readonly p99Ratio: number;
  readonly peakRss: number;
  /** non-2xx responses + socket errors + error lines logged, over all runs. */
  readonly errors: number;
}

export interface WrkScenarioResult {
  readonly kind: "wrk";
  readonly id: string;
  readonly title: string;
  readonly method: string;
  readonly path: string;
  readonly connections: number;
  /** wrk's arguments, with PORT standing for the proxy's port. */
  readonly wrkArgs: readonly string[];
  readonly runs: readonly WrkRun[];
  readonly rows: readonly WrkRow[];
  readonly errorLines: readonly string[];
  /** Median and highest `otherCores` over the scenario's runs; median steal. */
  readonly otherCores: { readonly median: number; readonly max: number; readonly steal: number };
}

export interface FloorRow {
  readonly runtime: "node" | "deno" | "bun";
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUsPerReq: number;
  readonly peakRss: number;
  readonly errors: number;
}

export interface StreamsRow {
  readonly proxy: ProxyId;
  readonly label: string;
  readonly result: StreamsResult;
  readonly cpuS: number;
  readonly cpuUsPerEvent: number;
  readonly peakRss: number;
  readonly errorLines: readonly string[];
}

export interface TransferRow {
  readonly proxy: ProxyId;
  readonly label: string;
  readonly direction: "download" | "upload";
  readonly bytes: number;
  readonly expected: number;
  readonly status: number;
  readonly seconds: number;
  readonly mbPerS: number;
  readonly cpuS: number;
  readonly rssBefore: number;
  readonly peakRss: number;
  readonly error?: string;
  /** Throughput ÷ the reference's (nginx, or Apache where nginx failed). */
  readonly ratio: number;
  readonly reference: ProxyId | "";
}

export interface CodecDecode {
  readonly gbPerS: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** The npm package fastcgi-client 0.2.0's codec on the same inputs (scripts/bench/codec-fastcgi-client.ts). */
export interface FastcgiClientCodec {
  readonly version: string;
  /** stringifykv: the name-value pairs only, no BEGIN_REQUEST and no record headers (less work than ours). */
  readonly encode: { readonly nsPerCall: number; readonly bytes: number };
  /** Whether its pairs are byte for byte the content of our PARAMS record. */
  readonly samePairs: boolean;
  /** Its connection's record parser, fed the same reads as ours through a stand-in socket. */
  readonly decode64k: CodecDecode;
  readonly decode8k: CodecDecode;
}

export interface CodecRow {
  readonly runtime: string;
  readonly version: string;
  readonly encode: { readonly nsPerHead: number; readonly bytes: number };
  readonly decode64k: CodecDecode;
  readonly decode8k: CodecDecode;
  /** null when the package would not load or run on this runtime (then fastcgiClientError says why); absent in older results. */
  readonly fastcgiClient?: FastcgiClientCodec | null;
  readonly fastcgiClientError?: string;
}

/** One way of building requests in scripts/bench/gateway-js.ts: medians over its rounds. */
export interface GatewayJsVariant {
  /** Process CPU (user + system, all threads) per request, µs: the median round's. */
  readonly usPerReq: number;
  /** Requests per second on the one thread, median over the rounds. */
  readonly rps: number;
  /** CPU µs per request of every round, in order. */
  readonly rounds: readonly number[];
  /** Requests completed in the measured rounds. */
  readonly requests: number;
}

/** The gateway's own JavaScript per request, no sockets (scripts/bench/gateway-js.ts). */
export interface GatewayJsRow {
  readonly runtime: string;
  readonly version: string;
  /** Measured seconds per round. */
  readonly seconds: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** The request as a plain object: the gateway's own work only. */
  readonly plain?: GatewayJsVariant;
  /** A Fetch Request built per request: adds the runtime's Request and Headers. */
  readonly fetch?: GatewayJsVariant;
}

/** One request and answer over a kept backend socket through our transport, nothing else (scripts/bench/io-floor.ts). */
export interface IoFloorRow {
  readonly runtime: string;
  readonly version: string;
  /** Measured seconds per round. */
  readonly seconds: number;
  /** Backend connections, one request in flight on each. */
  readonly conns: number;
  /** Process CPU (user + system, all threads) per round trip, µs: the median round's. */
  readonly usPerRoundTrip: number;
  /** Round trips per second, median over the rounds. */
  readonly roundTripsPerS: number;
  /** CPU µs per round trip of every round, in order. */
  readonly rounds: readonly number[];
  /** Round trips completed in the measured rounds. */
  readonly roundTrips: number;
}

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly commandLine: string;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly proxies: ReadonlyArray<{ readonly id: ProxyId; readonly label: string; readonly command: string }>;
  readonly configs: Readonly<Record<string, string>>;
  readonly wrk: WrkScenarioResult[];
  floor?: FloorRow[];
  /** Absent in results from before this scenario existed. */
  ioFloor?: IoFloorRow[];
  streams?: StreamsRow[];
  transfers?: TransferRow[];
  codec?: CodecRow[];
  /** Absent in results from before this scenario existed. */
  gatewayJs?: GatewayJsRow[];
  readonly notes: string[];
  loadAvgAfter?: readonly number[];
  durationS?: number;
}

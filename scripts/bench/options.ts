// Command-line options of `npm run bench`.
import { GiB, MiB } from "./stats.ts";
import type { ProxyId } from "./proxy/types.ts";

export const SCENARIOS = ["tiny", "64k", "upload", "php", "recycle", "static4k", "static1m", "wordpress", "floor", "io", "sse", "big", "codec", "js"] as const;
export type ScenarioId = (typeof SCENARIOS)[number];
const PROXIES: readonly ProxyId[] = ["nginx", "apache", "node", "deno", "bun"];

export interface BenchOptions {
  readonly install: boolean;
  readonly quick: boolean;
  /** Interleaved (nginx, other) pairs per proxy and scenario. */
  readonly pairs: number;
  /** Seconds per wrk run (whole seconds: wrk takes no fractions). */
  readonly durationS: number;
  readonly warmupS: number;
  readonly wrkThreads: number;
  /** wrk connections, and the backend connections every proxy may hold to the hello backend. */
  readonly connections: number;
  /** php-fpm workers each proxy may use (wrk connections of the php scenario too). */
  readonly phpConns: number;
  readonly streams: number;
  readonly streamEvents: number;
  readonly streamIntervalMs: number;
  readonly bigBytes: number;
  readonly codecBytes: number;
  /** Seconds per measured round of scripts/bench/gateway-js.ts and scripts/bench/io-floor.ts. */
  readonly jsSeconds: number;
  readonly scenarios: readonly ScenarioId[];
  readonly proxies: readonly ProxyId[];
  readonly accessLog: boolean;
  /** Deno and Bun run the esbuild bundle too, instead of src/main.ts. */
  readonly bundleForAll: boolean;
  /** Write BENCHMARKS.md and BENCHMARKS.svg (default: yes, except with --quick). */
  readonly write: boolean;
  readonly json?: string;
  /** Measure nothing: write BENCHMARKS.md and .svg again from a --json file of an earlier run. */
  readonly fromJson?: string;
  readonly keepTemp: boolean;
  readonly help: boolean;
}

export const HELP = `npm run bench -- [options]

Benchmarks proxy-fcgi on Node, Deno and Bun against nginx and Apache (mod_proxy_fcgi), all in front of the
same FastCGI backends, on loopback. Needs Debian's nginx-light, apache2, php8.2-fpm, wrk, libfcgi-dev, gcc,
and for the wordpress scenario wordpress, wordpress-theme-twentytwentythree, mariadb-server, php8.2-mysql, php8.2-gd.

  --install            install missing Debian packages (apt-get update + install), then run
  --quick              a ~2 minute smoke run (1 pair, 2 s runs, 256 MiB transfers); does not write files
  --pairs N            interleaved (nginx, other) pairs per scenario (default 3)
  --duration S         seconds per wrk run (default 5)
  --connections N      wrk connections and backend connections per proxy (default 32)
  --only a,b           scenarios: ${SCENARIOS.join(",")}
  --proxies a,b        proxies: ${PROXIES.join(",")} (default all)
  --no-access-log      no per-request log line anywhere (nginx access_log off, no Apache CustomLog,
                       proxy-fcgi --log-level warn); errors are still logged
  --bundle             Deno and Bun run the esbuild bundle as Node does, instead of src/main.ts
  --write / --no-write write BENCHMARKS.md and BENCHMARKS.svg (default: write unless --quick)
  --json FILE          also write the raw results as JSON
  --from-json FILE     measure nothing: rewrite BENCHMARKS.md and BENCHMARKS.svg from such a file
  --keep-temp          keep the temp dir (configs, logs) for inspection
`;

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const out = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const v of out) if (!allowed.includes(v as T)) throw new Error(`${flag}: unknown "${v}" (one of ${allowed.join(", ")})`);
  return out as T[];
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes("--quick");
  let o: { -readonly [K in keyof BenchOptions]: BenchOptions[K] } = {
    install: false,
    quick,
    pairs: quick ? 1 : 3,
    durationS: quick ? 2 : 5,
    warmupS: 1,
    wrkThreads: 1,
    connections: 32,
    phpConns: 8,
    streams: 100,
    streamEvents: quick ? 20 : 40,
    streamIntervalMs: 100,
    bigBytes: quick ? 256 * MiB : GiB,
    codecBytes: quick ? 256 * MiB : GiB,
    jsSeconds: quick ? 1 : 3,
    scenarios: SCENARIOS,
    proxies: PROXIES,
    accessLog: true,
    bundleForAll: false,
    write: !quick,
    keepTemp: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--quick": break;
      case "--install": o.install = true; break;
      case "--pairs": o.pairs = Math.round(positive(next(), a)); break;
      case "--duration": o.durationS = Math.max(1, Math.round(positive(next(), a))); break;
      case "--connections": o.connections = Math.round(positive(next(), a)); break;
      case "--only": o.scenarios = list(next(), SCENARIOS, a); break;
      case "--proxies": o.proxies = list(next(), PROXIES, a); break;
      case "--no-access-log": o.accessLog = false; break;
      case "--bundle": o.bundleForAll = true; break;
      case "--write": o.write = true; break;
      case "--no-write": o.write = false; break;
      case "--json": o.json = next(); break;
      case "--from-json": o.fromJson = next(); break;
      case "--keep-temp": o.keepTemp = true; break;
      case "--help": case "-h": o.help = true; break;
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  // Keep the configured order, whatever order the flag listed them in.
  o = { ...o, proxies: PROXIES.filter((p) => o.proxies.includes(p)), scenarios: SCENARIOS.filter((s) => o.scenarios.includes(s)) };
  return o;
}

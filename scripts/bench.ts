// `npm run bench`: proxy-fcgi on Node, Deno and Bun against nginx and Apache, in front of the same FastCGI
// backends, on loopback. Checks (and with --install installs) what it needs, starts everything in a temp dir,
// measures, prints the tables and writes BENCHMARKS.md + BENCHMARKS.svg. Everything started is stopped at the
// end, on an error and on SIGINT. `npm run bench -- --help` lists the options.
import { withSummary } from "./bench/readme-summary.ts";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileHello, startHello, startPhpFpm } from "./bench/backends.ts";
import { renderChart } from "./bench/chart.ts";
import { machineInfo } from "./bench/machine.ts";
import { HELP, parseOptions, type BenchOptions } from "./bench/options.ts";
import { aptLine, installPackages, locateTools, missingNodeModules, missingPackages, type Tools } from "./bench/prereqs.ts";
import { stopAll } from "./bench/procs.ts";
import { startApache } from "./bench/proxy/apache.ts";
import { BUNDLE_FLAGS, bundle, startGateway, type GatewayRuntime } from "./bench/proxy/gateway.ts";
import { startNginx } from "./bench/proxy/nginx.ts";
import type { ProxyContext, RunningProxy, Upstreams } from "./bench/proxy/types.ts";
import { benchmarksPage, resultTables } from "./bench/report.ts";
import type { BenchResults } from "./bench/results.ts";
import { runCodec } from "./bench/scenarios/codec.ts";
import { runFloor } from "./bench/scenarios/floor.ts";
import { runGatewayJs } from "./bench/scenarios/gateway-js.ts";
import { runIoFloor } from "./bench/scenarios/io-floor.ts";
import { runStreamsScenario } from "./bench/scenarios/streams.ts";
import { runTransfers } from "./bench/scenarios/transfers.ts";
import { runWordPress } from "./bench/scenarios/wordpress.ts";
import { runWrkScenario, say, type WrkScenario } from "./bench/scenarios/wrk-scenario.ts";
import { STATIC_PREFIX, writeStaticFiles } from "./bench/static-files.ts";
import { smokeCheck } from "./bench/smoke.ts";
import { uploadScript } from "./bench/wrk.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RUNTIMES: readonly GatewayRuntime[] = ["node", "deno", "bun"];
/** pm.max_requests of the recycling php-fpm. */
const RECYCLE_AFTER = 20;

/** Exit code 1 with the one line that installs what is missing, or the tools once everything is there. */
async function prerequisites(opts: BenchOptions): Promise<Tools | undefined> {
  const nodeMissing = missingNodeModules(ROOT);
  if (nodeMissing.length > 0) {
    process.stderr.write(`bench: node_modules lacks ${nodeMissing.join(", ")}: run \`npm install\` first\n`);
    return undefined;
  }
  let missing = missingPackages();
  if (missing.length > 0 && opts.install) {
    await installPackages(missing);
    missing = missingPackages();
  }
  if (missing.length > 0) {
    process.stderr.write(
      `bench: missing Debian packages: ${missing.join(" ")}\n` +
        `Install them with:\n\n    ${aptLine(missing)}\n\nor let the benchmark do it: npm run bench -- --install\n`,
    );
    return undefined;
  }
  return locateTools(ROOT);
}

async function run(opts: BenchOptions, tools: Tools, dir: string, commandLine: string): Promise<BenchResults> {
  const t0 = Date.now();
  const machine = await machineInfo(tools, ROOT);
  const proxyIds = opts.proxies;
  const runtimes = RUNTIMES.filter((r) => proxyIds.includes(r));
  const wants = (id: string) => opts.scenarios.includes(id as never);

  say(`building: hello.c, esbuild bundles (temp dir ${dir})`);
  const helloBinary = await compileHello(tools.cc, dir);
  const nodeBundle = await bundle(tools, ROOT, "src/main.ts", join(dir, "proxy-fcgi.mjs"));
  const floorBundle = await bundle(tools, ROOT, "scripts/bench/floor-server.ts", join(dir, "floor-server.mjs"));
  const codecBundle = await bundle(tools, ROOT, "scripts/bench/codec.ts", join(dir, "codec.mjs"));
  const gatewayJsBundle = await bundle(tools, ROOT, "scripts/bench/gateway-js.ts", join(dir, "gateway-js.mjs"));
  const ioFloorBundle = await bundle(tools, ROOT, "scripts/bench/io-floor.ts", join(dir, "io-floor.mjs"));

  // Connections a proxy leaves idle stay pinned to a libfcgi thread (and to a php-fpm worker): every proxy may
  // hold its full share while another is measured, so each backend has room for all of them plus one more.
  const share = proxyIds.length + 1;
  const helloThreads = Math.min(512, share * opts.connections);
  const streamThreads = Math.min(512, opts.streams + 28);
  const phpWorkers = share * opts.phpConns;
  say(`starting backends: hello (${helloThreads} threads), hello-stream (${streamThreads} threads), php-fpm (${phpWorkers} workers)`);
  const hello = await startHello("hello", helloBinary, helloThreads);
  const stream = await startHello("hello-stream", helloBinary, streamThreads);
  const php = await startPhpFpm(tools.phpFpm, dir, phpWorkers);
  // The recycling case (issue K): children exit after 20 requests; POSTs must not get 502s for it.
  const recycle = await startPhpFpm(tools.phpFpm, dir, phpWorkers, RECYCLE_AFTER, "php-fpm-recycle");
  const upstreams: Upstreams = {
    hello: { port: hello.port, conns: opts.connections },
    stream: { port: stream.port, conns: opts.streams },
    php: { port: php.port, conns: opts.phpConns, docroot: php.docroot },
    recycle: { port: recycle.port, conns: opts.phpConns, docroot: recycle.docroot },
  };
  const ctx: ProxyContext = { dir, upstreams, accessLog: opts.accessLog, staticRoot: writeStaticFiles(dir) };

  const proxies: RunningProxy[] = [];
  for (const id of proxyIds) {
    say(`starting ${id}`);
    if (id === "nginx") proxies.push(await startNginx(tools.nginx, ctx));
    else if (id === "apache") proxies.push(await startApache(tools.apache, ctx));
    else proxies.push(await startGateway(id, tools, ROOT, ctx, nodeBundle, opts.bundleForAll));
  }
  const notes: string[] = [];
  const problems = await smokeCheck(proxies);
  for (const p of problems) {
    say(`CHECK FAILED: ${p}`);
    notes.push(`Start-up check failed: ${p}`);
  }
  for (const p of proxies) p.errors(); // start the error count after the checks

  const configs: Record<string, string> = {
    "proxy-fcgi on Node: the bundle": `esbuild src/main.ts ${BUNDLE_FLAGS.join(" ")} --outfile=proxy-fcgi.mjs\n`,
  };
  for (const p of proxies) if (p.configFile) configs[`${p.label}: ${p.configFile.slice(dir.length + 1)}`] = readFileSync(p.configFile, "utf8");

  const results: BenchResults = {
    machine,
    commandLine,
    settings: {
      pairs: opts.pairs,
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      wrkThreads: opts.wrkThreads,
      connections: opts.connections,
      phpConns: opts.phpConns,
      helloThreads,
      streamThreads,
      phpWorkers,
      streams: opts.streams,
      streamEvents: opts.streamEvents,
      streamIntervalMs: opts.streamIntervalMs,
      bigBytes: opts.bigBytes,
      accessLog: opts.accessLog,
      bundleForAll: opts.bundleForAll,
    },
    proxies: proxies.map((p) => ({ id: p.id, label: p.label, command: p.command.replaceAll(`${ROOT}/`, "") })),
    configs,
    wrk: [],
    notes,
  };

  const wrkScenarios: Array<WrkScenario & { readonly key: string }> = [
    { key: "tiny", id: "tiny", title: "Tiny GET", method: "GET", path: "/", connections: opts.connections },
    { key: "64k", id: "64k", title: "64 KiB response", method: "GET", path: "/?size=65536", connections: opts.connections },
    {
      key: "upload",
      id: "upload",
      title: "1 MiB upload",
      method: "POST",
      path: "/",
      connections: opts.connections,
      script: uploadScript(dir, 1024 * 1024),
    },
    { key: "php", id: "php", title: "PHP-FPM hello", method: "GET", path: "/php/hello.php", connections: opts.phpConns },
    {
      key: "recycle",
      id: "recycle",
      title: `PHP-FPM recycling its children (pm.max_requests=${RECYCLE_AFTER}), 64-byte POSTs`,
      method: "POST",
      path: "/recycle/hello.php",
      connections: opts.phpConns,
      script: uploadScript(dir, 64),
    },
    { key: "static4k", id: "static4k", title: "Static file, 4 KiB", method: "GET", path: `${STATIC_PREFIX}4k.bin`, connections: opts.connections },
    { key: "static1m", id: "static1m", title: "Static file, 1 MiB", method: "GET", path: `${STATIC_PREFIX}1m.bin`, connections: opts.connections },
  ];
  for (const s of wrkScenarios) if (s.script && wants(s.key)) configs[`wrk script for ${s.title}`] = readFileSync(s.script, "utf8").replace(/^--.*\n/, "");
  for (const s of wrkScenarios) if (wants(s.key)) results.wrk.push(await runWrkScenario(s, proxies, opts, tools.wrk));
  if (wants("wordpress") && (runtimes.length > 0 || proxyIds.includes("nginx"))) {
    const wp = await runWordPress(runtimes, proxyIds.includes("nginx"), tools, ROOT, ctx, nodeBundle, opts);
    results.wrk.push(wp.result);
    Object.assign(configs, wp.configs);
    for (const p of wp.problems) notes.push(`Start-up check failed: ${p}`);
  }
  if (wants("floor") && runtimes.length > 0) results.floor = await runFloor(runtimes, tools, ROOT, floorBundle, opts);
  // The hello backend runs until the end; the proxies' idle connections leave it threads to spare for these.
  if (wants("io") && runtimes.length > 0) results.ioFloor = await runIoFloor(runtimes, tools, ROOT, ioFloorBundle, upstreams.hello, opts);
  if (wants("sse")) results.streams = await runStreamsScenario(proxies, opts);
  if (wants("big")) results.transfers = await runTransfers(proxies, opts);
  if (wants("codec") && runtimes.length > 0) results.codec = await runCodec(runtimes, tools, ROOT, codecBundle, opts);
  if (wants("js") && runtimes.length > 0) results.gatewayJs = await runGatewayJs(runtimes, tools, ROOT, gatewayJsBundle, opts);

  for (const s of results.wrk) {
    for (const row of s.rows) if (row.errors > 0) notes.push(`${s.title}: ${row.label} had ${row.errors} errors (non-2xx, socket errors or logged errors).`);
  }
  for (const row of results.streams ?? []) {
    const x = row.result;
    if (x.maxOpen < x.streams || x.events < x.expectedEvents || x.errors.length > 0) {
      notes.push(`Event streams: ${row.label} had ${x.maxOpen}/${x.streams} open at once and ${x.events}/${x.expectedEvents} events${x.errors[0] ? ` (${x.errors[0]})` : ""}.`);
    }
  }
  for (const t of results.transfers ?? []) {
    if (t.error) {
      const status = t.error.startsWith("status") ? "" : `, status ${t.status || "none"}`;
      notes.push(`The ${t.direction} of ${t.expected} bytes through ${t.label} failed: ${t.error}${status}, ${t.bytes} bytes confirmed.`);
    }
  }

  results.loadAvgAfter = loadavg().map((x) => Math.round(x * 100) / 100);
  results.durationS = (Date.now() - t0) / 1000;
  return results;
}

function writeReport(results: BenchResults): void {
  process.stdout.write(`\n${resultTables(results)}\n`);
  writeFileSync(join(ROOT, "BENCHMARKS.svg"), renderChart(results));
  const page = benchmarksPage(results, "BENCHMARKS.svg");
  writeFileSync(join(ROOT, "BENCHMARKS.md"), page);
  // The README quotes the run only through its generated block, so its figures are this run's.
  writeFileSync(join(ROOT, "README.md"), withSummary(readFileSync(join(ROOT, "README.md"), "utf8"), page));
  say("wrote BENCHMARKS.md, BENCHMARKS.svg and README.md's performance block");
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (opts.fromJson) {
    writeReport(JSON.parse(readFileSync(opts.fromJson, "utf8")) as BenchResults);
    return 0;
  }
  const tools = await prerequisites(opts);
  if (!tools) return 1;

  const dir = mkdtempSync(join(tmpdir(), "proxy-fcgi-bench-"));
  // nginx's and Apache's workers and php-fpm's run as www-data: they must reach the configs and the docroot.
  chmodSync(dir, 0o755);
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await stopAll();
      if (opts.keepTemp) say(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping everything`);
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const commandLine = ["npm run bench", ...(argv.length ? ["--", ...argv] : [])].join(" ");
    const results = await run(opts, tools, dir, commandLine);
    if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2));
    if (opts.write) writeReport(results);
    else process.stdout.write(`\n${resultTables(results)}\n`);
    return 0;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (e) => {
    process.stderr.write(`bench: ${(e as Error)?.stack ?? e}\n`);
    await stopAll();
    process.exit(1);
  },
);

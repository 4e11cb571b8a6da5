// The results as Markdown: the tables (printed by the run, and the body of BENCHMARKS.md) and the page itself.
import { fixed, int, mdTable, mib, ms, ratio } from "./format.ts";
import type { BenchResults } from "./results.ts";
import { MiB } from "./stats.ts";

export function resultTables(r: BenchResults): string {
  const out: string[] = [];
  for (const s of r.wrk) {
    out.push(`### ${s.title}`, "");
    out.push(`\`wrk ${s.wrkArgs.join(" ")}\`: ${s.connections} connections, ${r.settings.durationS} s per run, ` +
      `${r.settings.pairs} interleaved pair(s) per proxy (nginx ran once before each other run). ` +
      `Other load on the machine during these runs: median ${fixed(s.otherCores.median, 2)} cores, highest ${fixed(s.otherCores.max, 2)}` +
      (s.otherCores.steal >= 0.01 ? `, stolen ${fixed(s.otherCores.steal, 2)}.` : "."), "");
    out.push(mdTable(
      ["proxy", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "CPU × nginx", "p99 × nginx", "peak RSS MiB", "errors"],
      s.rows.map((row) => [
        row.label,
        int(row.rps),
        ms(row.p50),
        ms(row.p99),
        fixed(row.cpuUsPerReq),
        ratio(row.cpuRatio),
        ratio(row.p99Ratio),
        mib(row.peakRss),
        String(row.errors),
      ]),
    ), "");
  }
  if (r.floor?.length) {
    out.push("### Runtime floor: serve() answering by itself, no backend", "");
    out.push(`The project's serve() adapter answering "hello" itself the way it serves the gateway (scripts/bench/floor-server.ts: ` +
      `on Node the plain answer written without Fetch objects, on Deno and Bun a Response), driven like the tiny GET: ` +
      `the least a request can cost on each runtime before any gateway work.`, "");
    const tiny = r.wrk.find((s) => s.id === "tiny");
    out.push(mdTable(
      ["runtime", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "proxy-fcgi tiny GET µs/req", "gateway's share µs/req", "peak RSS MiB", "errors"],
      r.floor.map((f) => {
        const proxied = tiny?.rows.find((row) => row.proxy === f.runtime)?.cpuUsPerReq ?? NaN;
        return [f.runtime, int(f.rps), ms(f.p50), ms(f.p99), fixed(f.cpuUsPerReq), fixed(proxied), fixed(proxied - f.cpuUsPerReq), mib(f.peakRss), String(f.errors)];
      }),
    ), "");
  }
  if (r.floor?.length || r.ioFloor?.length) out.push(...decomposition(r));
  if (r.streams?.length) {
    const e = r.settings.streamEvents;
    out.push(`### ${r.settings.streams} concurrent event streams`, "");
    out.push(`\`GET /sse/?events=${e}&interval=${r.settings.streamIntervalMs}\` on ${r.settings.streams} connections at once ` +
      `(the backend flushes one event every ${r.settings.streamIntervalMs} ms; one backend connection per stream on every proxy).`, "");
    out.push(mdTable(
      ["proxy", "open at once", "complete", "events", "first event p50 ms", "first event p99 ms", "longest gap ms", "CPU µs/event", "peak RSS MiB", "errors"],
      r.streams.map((row) => [
        row.label,
        `${row.result.maxOpen}/${row.result.streams}`,
        String(row.result.completed),
        `${row.result.events}/${row.result.expectedEvents}`,
        fixed(row.result.firstEventP50),
        fixed(row.result.firstEventP99),
        fixed(row.result.maxGap, 0),
        fixed(row.cpuUsPerEvent),
        mib(row.peakRss),
        String(row.result.errors.length + row.errorLines.length),
      ]),
    ), "");
  }
  if (r.transfers?.length) {
    const size = r.transfers[0]!.expected;
    out.push(`### ${size >= 1024 * MiB ? `${size / (1024 * MiB)} GiB` : `${size / MiB} MiB`} download and upload, one connection`, "");
    out.push("Throughput in MB/s (10⁶ bytes); RSS growth = the proxy tree's peak resident memory during the transfer minus before it; " +
      "ratio to nginx's throughput (to Apache's where nginx failed).", "");
    out.push(mdTable(
      ["proxy", "direction", "MB/s", "× ref", "seconds", "CPU s", "RSS before MiB", "RSS growth MiB", "result"],
      r.transfers.map((t) => [
        t.label,
        t.direction,
        fixed(t.mbPerS, 0),
        !t.reference || !Number.isFinite(t.ratio) ? "–" : t.reference === t.proxy ? "ref" : `${ratio(t.ratio)} ${t.reference}`,
        fixed(t.seconds, 2),
        fixed(t.cpuS, 2),
        mib(t.rssBefore),
        mib(t.peakRss - t.rssBefore),
        t.error ? `**${t.error.replace(/\|/g, "\\|")}**` : "ok",
      ]),
      "llrrrrrrl",
    ), "");
  }
  if (r.codec?.length) {
    const gib = r.codec[0]!.decode64k.bytes / (1024 * MiB);
    out.push("### Codec micro-benchmarks (scripts/bench/codec.ts)", "");
    out.push("encodeRequestHead for a typical 30-variable request (BEGIN_REQUEST + PARAMS + end, one buffer); " +
      `RecordDecoder over ${gib.toFixed(2)} GiB of STDOUT content pushed as 64 KiB reads. The decoder hands out views ` +
      "into the reads, so GB/s measures per-record work, not copying.", "");
    out.push(mdTable(
      ["runtime", "encode µs/head", "head bytes", "decode GB/s, 64 KiB records", "decode GB/s, 8 KiB records"],
      r.codec.map((c) => [`${c.runtime} ${c.version}`, fixed(c.encode.nsPerHead / 1000, 2), String(c.encode.bytes), fixed(c.decode64k.gbPerS, 1), fixed(c.decode8k.gbPerS, 1)]),
    ), "");
    // Results from before the comparison existed have no fastcgiClient field at all: no table then.
    const compared = r.codec.filter((c) => c.fastcgiClient !== undefined);
    if (compared.length) {
      const version = compared.find((c) => c.fastcgiClient)?.fastcgiClient?.version ?? "0.2.0";
      out.push(`#### fastcgi-client ${version}, same inputs`, "");
      out.push(`The npm package fastcgi-client's stringifykv on the same 30 variables and its connection's record parser ` +
        "(fed the same reads through a stand-in socket), next to ours from the table above; its encode produces only the " +
        "name-value pairs, without BEGIN_REQUEST, record headers and padding, so it does less work than encodeRequestHead. " +
        "Its parser also needs each record header whole within one read, which these reads (8-byte aligned records) satisfy.", "");
      out.push(mdTable(
        ["runtime", "encode µs, ours", "encode µs, theirs", "pairs bytes, same as ours", "decode GB/s 64 KiB, ours", "theirs", "decode GB/s 8 KiB, ours", "theirs"],
        compared.map((c) => {
          const fc = c.fastcgiClient;
          const name = `${c.runtime} ${c.version}`;
          const ours = [fixed(c.encode.nsPerHead / 1000, 2), fixed(c.decode64k.gbPerS, 1), fixed(c.decode8k.gbPerS, 1)] as const;
          if (!fc) {
            const why = `not run: ${(c.fastcgiClientError ?? "unknown").replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 120)}`;
            return [name, ours[0], "–", why, ours[1], "–", ours[2], "–"];
          }
          return [
            name,
            ours[0],
            fixed(fc.encode.nsPerCall / 1000, 2),
            `${fc.encode.bytes}, ${fc.samePairs ? "yes" : "**no**"}`,
            ours[1],
            fixed(fc.decode64k.gbPerS, 1),
            ours[2],
            fixed(fc.decode8k.gbPerS, 1),
          ];
        }),
        "lrrlrrrr",
      ), "");
    }
  }
  if (r.gatewayJs?.length) {
    const g = r.gatewayJs[0]!;
    const rounds = g.plain?.rounds.length ?? g.fetch?.rounds.length ?? 0;
    out.push("### Gateway JavaScript per request, no sockets (scripts/bench/gateway-js.ts)", "");
    out.push(`gateway.respond() for a GET, ${g.concurrency} in flight, against an in-memory backend giving the hello answer a ` +
      `macrotask later: process CPU µs per request, the median of ${rounds} rounds of ${g.seconds} s. The wrk scenarios' CPU also ` +
      "holds the kernel's loopback TCP work and the runtime's HTTP server and moves ±10% between runs on this machine; this " +
      "isolates the gateway's own code (routing, CGI environment, records, pool, exchange, CGI head parsing, the access-log " +
      "line), with the request as a plain object, then as a Fetch Request built per request.", "");
    out.push(mdTable(
      ["runtime", "plain µs/req", "with Fetch Request µs/req", "Request + Headers µs/req", "plain req/s on one thread"],
      r.gatewayJs.map((row) => {
        const plain = row.plain?.usPerReq ?? NaN;
        const fetch = row.fetch?.usPerReq ?? NaN;
        return [`${row.runtime} ${row.version}`, fixed(plain), fixed(fetch), fixed(fetch - plain), int(row.plain?.rps ?? NaN)];
      }),
    ), "");
  }
  const errors = [
    ...r.wrk.flatMap((s) => s.errorLines.map((l) => `${s.id}: ${l}`)),
    ...(r.streams ?? []).flatMap((s) => [...s.result.errors, ...s.errorLines].map((l) => `sse ${s.proxy}: ${l}`)),
  ];
  if (errors.length) out.push("### Errors seen", "", ...errors.slice(0, 40).map((e) => `- \`${e.replace(/`/g, "'")}\``), "");
  return out.join("\n");
}

/**
 * The parts a proxied tiny GET's CPU is made of on each runtime, each measured alone: the HTTP server (floor),
 * one backend round trip through our transport (io), the gateway's JavaScript (js, plain request). Any part
 * missing from the results (an older JSON, a scenario left out) shows as a dash and leaves the sum a dash.
 */
function decomposition(r: BenchResults): string[] {
  const out: string[] = [];
  const io = r.ioFloor ?? [];
  if (io.length) {
    const first = io[0]!;
    out.push("### Backend round trip through our transport, no HTTP server (scripts/bench/io-floor.ts)", "");
    out.push(`${first.conns} kept connections to the hello backend opened with the runtime's connector, each writing one ` +
      "precomputed request head and decoding the answer with the project's RecordDecoder, the next request as soon as " +
      `END_REQUEST is in: process CPU µs per round trip, the median of ${first.rounds.length} rounds of ${first.seconds} s.`, "");
    out.push(mdTable(
      ["runtime", "CPU µs per round trip", "round trips/s", "rounds µs"],
      io.map((row) => [`${row.runtime} ${row.version}`, fixed(row.usPerRoundTrip), int(row.roundTripsPerS), row.rounds.map((x) => fixed(x)).join(", ")]),
    ), "");
  }
  const tiny = r.wrk.find((s) => s.id === "tiny");
  const runtimes = (["node", "deno", "bun"] as const).filter((rt) =>
    r.floor?.some((f) => f.runtime === rt) || io.some((x) => x.runtime === rt) || r.gatewayJs?.some((g) => g.runtime === rt));
  if (!runtimes.length) return out;
  out.push("### Where a proxied tiny GET's CPU goes", "");
  out.push("Per runtime: the HTTP server alone (the runtime floor), one backend round trip through our transport " +
    "(io-floor.ts), and the gateway's own JavaScript (gateway-js.ts, plain request). Each part is measured alone at its own request " +
    "rate, higher than the proxied request's, where each turn of the event loop serves more requests, so their sum is a lower bound " +
    "for what a proxied request costs on that runtime; the tiny GET columns are the proxied request measured whole.", "");
  const nginx = tiny?.rows.find((row) => row.proxy === "nginx")?.cpuUsPerReq ?? NaN;
  out.push(mdTable(
    ["runtime", "HTTP server alone µs", "backend round trip µs", "gateway JS µs", "sum µs", "proxy-fcgi tiny GET µs/req", "nginx tiny GET µs/req"],
    runtimes.map((rt) => {
      const floor = r.floor?.find((f) => f.runtime === rt)?.cpuUsPerReq ?? NaN;
      const trip = io.find((x) => x.runtime === rt)?.usPerRoundTrip ?? NaN;
      const js = r.gatewayJs?.find((g) => g.runtime === rt)?.plain?.usPerReq ?? NaN;
      const proxied = tiny?.rows.find((row) => row.proxy === rt)?.cpuUsPerReq ?? NaN;
      const version = io.find((x) => x.runtime === rt)?.version ?? r.gatewayJs?.find((g) => g.runtime === rt)?.version;
      return [version ? `${rt} ${version}` : rt, fixed(floor), fixed(trip), fixed(js), fixed(floor + trip + js), fixed(proxied), fixed(nginx)];
    }),
  ), "");
  return out;
}

export function benchmarksPage(r: BenchResults, svgName: string): string {
  const m = r.machine;
  const v = m.versions;
  const s = r.settings;
  const lines: string[] = [
    "# Benchmarks",
    "",
    `Generated by \`npm run bench\` (scripts/bench.ts) on ${m.date.slice(0, 16).replace("T", " ")} UTC; ` +
      "every number below comes from that run. `npm run bench -- --help` lists the options; " +
      "`npm run bench -- --install` first installs what is missing from Debian's packages.",
    "",
    `![CPU µs per proxied request, per scenario and proxy](${svgName})`,
    "",
    `proxy-fcgi at commit ${m.revision}.`,
    "",
    "## Machine",
    "",
    `- ${m.cores} cores (\`nproc\`), ${m.cpu}, ${m.memoryGiB} GiB; ${m.os}, Linux ${m.kernel}`,
    `- load average before the run ${m.loadAvgBefore.join(" / ")}, after ${r.loadAvgAfter?.join(" / ") ?? "?"}; the run took ${Math.round(r.durationS ?? 0)} s`,
    `- ${v.nginx}, ${v.apache}, ${v.php} (php-fpm), Node ${v.node}, ${v.deno}, ${v.bun}, ${v.wrk}, ${v.libfcgi}, ${v.cc}`,
    "",
    "## How it was measured",
    "",
    `- Command: \`${r.commandLine}\``,
    `- Backends: scripts/bench/hello.c, a libfcgi responder compiled at run time (${s.helloThreads} threads, each in ` +
      "FCGX_Accept_r with no accept mutex, connections kept when the proxy asks), answering \"hello\" (5 bytes) or " +
      `\`?size=N\` bytes, and reading any body; a second instance (${s.streamThreads} threads) for the event streams; ` +
      `php-fpm (pm = static, ${s.phpWorkers} workers, opcache) with a one-line hello.php.`,
    "- Static files (4 KiB, 1 MiB): each proxy serves them from disk itself, no backend: nginx `alias` with " +
      "`sendfile on`, Apache `Alias` with `EnableSendfile On`, proxy-fcgi a site with BACKEND `none` " +
      "(`--site \"/static DIR none\"`: validators, Range, MIME type; files up to 1 MiB are read whole, larger ones streamed).",
    "- WordPress front page: Debian's WordPress with its default theme, a private MariaDB and one PHP-FPM pool " +
      "(opcache, Unix socket) shared by the proxies in turn (test/helpers/wordpress.ts, as the WordPress tests start it); " +
      "nginx with WordPress's canonical configuration (`try_files $uri $uri/ /index.php?$args`), proxy-fcgi with " +
      `\`--site "/ ROOT unix:SOCKET|fcgi://localhost"\`; ${s.phpConns} pooled connections to PHP-FPM each. Apache is not in ` +
      "this one (WordPress on Apache is mod_rewrite's .htaccess, which issue M imports). Most of a page's CPU is PHP's, " +
      "not the proxy's, so its req/s is PHP-FPM's; the CPU columns are the proxy's alone.",
    `- Every proxy uses the same backend connections: ${s.connections} to hello (nginx \`keepalive ${s.connections}\` + ` +
      `\`fastcgi_keep_conn on\`; Apache \`enablereuse=on max=${s.connections}\`; proxy-fcgi \`max=${s.connections} smax=${s.connections}\`), ` +
      `${s.phpConns} to php-fpm the same way, one per request for the streams. nginx runs 1 worker process, Apache ` +
      "mpm_event with 1 child process; request bodies stream to the backend on all of them (nginx " +
      "`fastcgi_request_buffering off`, no temp files for responses). proxy-fcgi runs on Node as an esbuild bundle of " +
      `src/main.ts (as the built package runs; tsx's loader is 2-3× slower), on Deno and Bun ${s.bundleForAll ? "as the same bundle" : "from the TypeScript source (as documented; both strip types once at load)"}.`,
    `- Access logs: ${s.accessLog ? "on for all (nginx and Apache to a file; proxy-fcgi's line per request on stderr, to a file)" : "off for all (nginx `access_log off`, no Apache CustomLog, proxy-fcgi `--log-level warn`)"}.`,
    `- wrk -t${s.wrkThreads} -c${s.connections} (keep-alive) drives one proxy at a time, interleaved: nginx, Apache, nginx, ` +
      `Node, nginx, Deno, nginx, Bun, repeated ${s.pairs}×, ${s.durationS} s each after a ${s.warmupS} s warm-up per proxy. ` +
      "Ratios are medians over the pairs of (the run ÷ the nginx run just before it).",
    "- CPU time is utime+stime (+ reaped children) of the proxy's whole process tree from /proc/PID/stat, read before " +
      "and after each run (nginx master + worker, Apache parent + child); CPU µs/req = that ÷ requests completed. " +
      "Peak RSS is the sum of VmHWM over the tree, reset before each run (`echo 5 > /proc/PID/clear_refs`), " +
      "cross-checked by sampling VmRSS every 100 ms in the long scenarios.",
    "- Everything listens on 127.0.0.1 and shares the machine with wrk and the backend, so req/s depends on how the " +
      "cores are shared; CPU per request is the figure to compare. \"Other load\" is the machine's busy CPU time " +
      "(/proc/stat) minus that of everything this benchmark started, per second: other processes plus kernel work " +
      "not charged to a process. On a busy machine CPU per request rises for the event-loop runtimes (fewer " +
      "requests per wake-up); the interleaved pairs keep the ratios comparable.",
    "",
    "## Results",
    "",
    resultTables(r),
  ];
  if (r.notes.length) lines.push("## Notes from this run", "", ...r.notes.map((n) => `- ${n}`), "");
  lines.push("## Commands and generated configurations", "");
  for (const p of r.proxies) lines.push(`- ${p.label}: \`${p.command}\``);
  lines.push("");
  for (const [name, text] of Object.entries(r.configs)) {
    lines.push(`<details><summary>${name}</summary>`, "", "```", text.trimEnd(), "```", "", "</details>", "");
  }
  return lines.join("\n");
}

// The README's performance figures, rendered from BENCHMARKS.md so they cannot drift from it: `npm run bench`
// rewrites the block between the markers after writing BENCHMARKS.md, and test/docs/readme.test.ts checks that
// the README holds exactly what this renders from the committed BENCHMARKS.md.

export const BEGIN = "<!-- bench-summary: generated from BENCHMARKS.md by scripts/bench/readme-summary.ts; do not edit -->";
export const END = "<!-- /bench-summary -->";

/** A Markdown table under a `### heading` (its start) of the page, as rows of cells keyed by column name. */
function table(page: string, heading: string, optional = false): Array<Record<string, string>> {
  const at = page.indexOf(`\n### ${heading}`);
  if (at < 0 && optional) return [];
  if (at < 0) throw new Error(`BENCHMARKS.md has no "### ${heading}" section`);
  const next = page.indexOf("\n#", at + 4);
  const lines = page.slice(at, next < 0 ? undefined : next).split("\n").filter((l) => l.startsWith("|"));
  const cells = (l: string) => l.slice(1, -1).split("|").map((c) => c.trim());
  const [head, , ...rows] = lines;
  if (!head) throw new Error(`"### ${heading}" has no table`);
  const names = cells(head);
  return rows.map((r) => Object.fromEntries(cells(r).map((c, i) => [names[i]!, c])));
}

const PROXIES = ["nginx", "Apache", "proxy-fcgi (Node)", "proxy-fcgi (Deno)", "proxy-fcgi (Bun)"];

/** The block (markers included) for the README. */
export function readmeSummary(page: string): string {
  const when = /on (\d{4}-\d{2}-\d{2}) /.exec(page)?.[1] ?? "?";
  const commit = /proxy-fcgi at commit (\w+)/.exec(page)?.[1] ?? "?";
  const rows: string[][] = [];
  const cpu = (heading: string, label: string, optional = false) => {
    const t = table(page, heading, optional);
    if (t.length === 0) return;
    const by = (p: string) => t.find((r) => r.proxy === p) ?? {};
    rows.push([label, `${by("nginx")["CPU µs/req"]} µs`, ...PROXIES.slice(1).map((p) => by(p)["CPU × nginx"] ?? "—")]);
  };
  cpu("Tiny GET", "tiny GET, CPU per request");
  cpu("64 KiB response", "64 KiB response, CPU per request");
  cpu("1 MiB upload", "1 MiB upload, CPU per request");
  cpu("PHP-FPM hello", "PHP-FPM hello, CPU per request");
  // Sites (issue E): runs from before them lack these scenarios.
  cpu("Static file, 4 KiB", "static file 4 KiB, CPU per request", true);
  cpu("Static file, 1 MiB", "static file 1 MiB, CPU per request", true);
  cpu("WordPress front page", "WordPress front page, CPU per request", true);
  const big = table(page, "1 GiB download and upload, one connection");
  let growth = { mib: 0, who: "" };
  for (const direction of ["download", "upload"]) {
    const by = (p: string) => big.find((r) => r.proxy === p && r.direction === direction) ?? {};
    rows.push([`1 GiB ${direction}, throughput`, `${by("nginx")["MB/s"]} MB/s`, ...PROXIES.slice(1).map((p) => (by(p)["× ref"] ?? "—").replace(" nginx", ""))]);
    for (const p of PROXIES.slice(2)) {
      const g = Number(by(p)["RSS growth MiB"]);
      if (g > growth.mib) growth = { mib: g, who: `${p.replace(/^proxy-fcgi \((\w+)\)$/, "$1")} ${direction}` };
    }
  }
  const split = table(page, "Where a proxied tiny GET's CPU goes");
  const md = (head: string[], body: string[][]) =>
    [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...body.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  return [
    BEGIN,
    `The run in BENCHMARKS.md (${when}, commit ${commit}, 2 cores): CPU per request as a multiple of nginx's (below 1× is`,
    `cheaper than nginx), and throughput as a multiple of nginx's (above 1× is faster).`,
    "",
    md(["scenario", "nginx", "Apache", "Node", "Deno", "Bun"], rows),
    "",
    `Memory stays bounded: the largest RSS growth over a 1 GiB transfer was ${growth.mib} MiB (${growth.who}).`,
    ...recycleLine(table(page, "PHP-FPM recycling its children", true)),
    "Where a proxied tiny GET's CPU goes, each part measured alone (µs per request):",
    "",
    md(["runtime", "HTTP server alone", "backend round trip", "gateway JS", "sum", "measured tiny GET", "nginx tiny GET"],
      split.map((r) => [r.runtime!, r["HTTP server alone µs"]!, r["backend round trip µs"]!, r["gateway JS µs"]!, r["sum µs"]!,
        r["proxy-fcgi tiny GET µs/req"]!, r["nginx tiny GET µs/req"]!])),
    END,
  ].join("\n");
}

/** Failed requests per proxy in the recycling scenario, when the run had it. */
function recycleLine(rows: Array<Record<string, string>>): string[] {
  if (rows.length === 0) return [];
  const shown = rows.map((r) => `${r.proxy!.replace(/^proxy-fcgi \((\w+)\)$/, "$1")} ${r.errors}`).join(", ");
  return [`Requests that failed while PHP-FPM recycled its children (pooled connections, small POSTs): ${shown}.`];
}

/** The README with its block replaced by what BENCHMARKS.md says now. */
export function withSummary(readme: string, page: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error("README.md has no bench-summary block");
  return readme.slice(0, a) + readmeSummary(page) + readme.slice(b + END.length);
}

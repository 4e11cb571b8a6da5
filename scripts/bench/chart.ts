// The chart of BENCHMARKS.md as plain SVG text: one panel per request scenario, one bar per proxy, height =
// CPU µs per request (each panel has its own scale; the dashed line is nginx's level), ratio to nginx on top.
import type { ProxyId } from "./proxy/types.ts";
import type { BenchResults } from "./results.ts";

const COLORS: Record<ProxyId, string> = {
  nginx: "#3d7a3d",
  apache: "#b5472f",
  node: "#4f7fbf",
  deno: "#2b2b2b",
  bun: "#d19a2e",
};
const SHORT: Record<ProxyId, string> = { nginx: "nginx", apache: "Apache", node: "Node", deno: "Deno", bun: "Bun" };

/** A white outline behind labels that sit on the dashed nginx line. */
const HALO = `stroke="#ffffff" stroke-width="3" paint-order="stroke"`;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A "nice" axis maximum at or above `v`: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function num(v: number): string {
  if (v === 0) return "0";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function renderChart(results: BenchResults): string {
  const scenarios = results.wrk;
  const proxies = results.proxies.map((p) => p.id);
  const panelW = 230;
  const panelH = 260;
  const top = 78;
  const left = 20;
  const width = left + Math.max(1, scenarios.length) * panelW + 10;
  const hasFloor = (results.floor?.length ?? 0) > 0;
  const height = top + panelH + (hasFloor ? 28 : 10);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">CPU time per proxied request (µs, lower is better)</text>`,
    `<text x="${left}" y="40" fill="#555">${esc(`${results.machine.cpu}, ${results.machine.cores} cores · ${results.machine.date.slice(0, 10)} · wrk -t1, median of ${results.settings.pairs} interleaved runs · ratio to nginx above each bar`)}</text>`,
  );
  // Legend
  let lx = left;
  for (const id of proxies) {
    out.push(`<rect x="${lx}" y="50" width="12" height="12" fill="${COLORS[id]}"/>`, `<text x="${lx + 16}" y="60">${esc(results.proxies.find((p) => p.id === id)!.label)}</text>`);
    lx += 30 + results.proxies.find((p) => p.id === id)!.label.length * 6.5;
  }
  scenarios.forEach((s, i) => {
    const x0 = left + i * panelW;
    const plotTop = top + 24;
    const plotH = panelH - 60;
    const base = plotTop + plotH;
    const values = proxies.map((id) => s.rows.find((r) => r.proxy === id)?.cpuUsPerReq ?? NaN);
    // Headroom above the tallest bar for its two labels.
    const vmax = niceMax(1.12 * Math.max(...values.filter(Number.isFinite), 0));
    out.push(`<text x="${x0 + panelW / 2 - 5}" y="${top + 10}" text-anchor="middle" font-weight="bold">${esc(s.title)}</text>`);
    // Axis and grid: 0, half, max.
    for (const f of [0, 0.5, 1]) {
      const y = base - f * plotH;
      out.push(
        `<line x1="${x0 + 30}" y1="${y}" x2="${x0 + panelW - 15}" y2="${y}" stroke="#ddd"/>`,
        `<text x="${x0 + 27}" y="${y + 4}" text-anchor="end" fill="#777" font-size="10">${num(f * vmax)}</text>`,
      );
    }
    const nginxV = values[proxies.indexOf("nginx")];
    if (nginxV !== undefined && Number.isFinite(nginxV)) {
      const y = base - (nginxV / vmax) * plotH;
      out.push(`<line x1="${x0 + 30}" y1="${y.toFixed(1)}" x2="${x0 + panelW - 15}" y2="${y.toFixed(1)}" stroke="${COLORS.nginx}" stroke-dasharray="4 3"/>`);
    }
    const barW = (panelW - 55) / Math.max(1, proxies.length);
    proxies.forEach((id, j) => {
      const v = values[j]!;
      const bx = x0 + 35 + j * barW;
      if (Number.isFinite(v)) {
        const h = (v / vmax) * plotH;
        const row = s.rows.find((r) => r.proxy === id)!;
        out.push(
          `<rect x="${bx.toFixed(1)}" y="${(base - h).toFixed(1)}" width="${(barW - 6).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[id]}"><title>${esc(`${row.label}: ${num(v)} µs/request, ${Math.round(row.rps)} req/s`)}</title></rect>`,
          `<text x="${(bx + (barW - 6) / 2).toFixed(1)}" y="${(base - h - 16).toFixed(1)}" text-anchor="middle" font-size="10" ${HALO}>${num(v)}</text>`,
        );
        // The tiny GET's proxy-fcgi bars show the runtime's floor (serve() answering alone) as a lighter base.
        const floor = s.id === "tiny" ? results.floor?.find((f) => f.runtime === id) : undefined;
        if (floor && Number.isFinite(floor.cpuUsPerReq)) {
          const fh = Math.min(h, (floor.cpuUsPerReq / vmax) * plotH);
          out.push(`<rect x="${bx.toFixed(1)}" y="${(base - fh).toFixed(1)}" width="${(barW - 6).toFixed(1)}" height="${fh.toFixed(1)}" fill="#ffffff" fill-opacity="0.45"><title>${esc(`${id} serve() alone: ${num(floor.cpuUsPerReq)} µs/request`)}</title></rect>`);
        }
        if (id !== "nginx" && Number.isFinite(row.cpuRatio)) {
          out.push(`<text x="${(bx + (barW - 6) / 2).toFixed(1)}" y="${(base - h - 4).toFixed(1)}" text-anchor="middle" font-size="9" fill="#555" ${HALO}>${row.cpuRatio.toFixed(2)}×</text>`);
        }
      }
      out.push(`<text x="${(bx + (barW - 6) / 2).toFixed(1)}" y="${base + 14}" text-anchor="middle" font-size="10">${SHORT[id]}</text>`);
    });
    out.push(`<text x="${x0 + panelW / 2 - 5}" y="${base + 32}" text-anchor="middle" fill="#777" font-size="10">${esc(`${s.method} ${s.path}, ${s.connections} connections`)}</text>`);
  });
  if (hasFloor) {
    out.push(`<text x="${left}" y="${height - 10}" fill="#555" font-size="11">Lighter base of the Node, Deno and Bun bars in "Tiny GET": the runtime's own serve() answering "hello" with no backend (its floor).</text>`);
  }
  out.push("</svg>", "");
  return out.join("\n");
}

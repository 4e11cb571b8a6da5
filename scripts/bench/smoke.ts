// Before measuring: every route of every proxy answers what the backend sends, so a wrong configuration shows
// up as a message rather than as a fast proxy that answers errors.
import { HOST } from "./net.ts";
import type { RunningProxy } from "./proxy/types.ts";

interface Check {
  readonly name: string;
  readonly path: string;
  readonly body?: Uint8Array<ArrayBuffer>;
  readonly expect: (status: number, body: string) => string | undefined;
}

const MIB_BODY: Uint8Array<ArrayBuffer> = new Uint8Array(1024 * 1024).fill(0x78);

const CHECKS: readonly Check[] = [
  { name: "tiny GET", path: "/", expect: (st, b) => (st === 200 && b === "hello" ? undefined : `status ${st}, body ${JSON.stringify(b.slice(0, 80))}`) },
  { name: "64 KiB", path: "/?size=65536", expect: (st, b) => (st === 200 && b.length === 65536 ? undefined : `status ${st}, ${b.length} bytes`) },
  { name: "1 MiB upload", path: "/", body: MIB_BODY, expect: (st, b) => (st === 200 && b.trim() === "read 1048576" ? undefined : `status ${st}, body ${JSON.stringify(b.slice(0, 80))}`) },
  { name: "php-fpm", path: "/php/hello.php", expect: (st, b) => (st === 200 && b === "hello" ? undefined : `status ${st}, body ${JSON.stringify(b.slice(0, 80))}`) },
  { name: "static 4 KiB", path: "/static/4k.bin", expect: (st, b) => (st === 200 && b.length === 4096 ? undefined : `status ${st}, ${b.length} bytes`) },
  { name: "static 1 MiB", path: "/static/1m.bin", expect: (st, b) => (st === 200 && b.length === 1048576 ? undefined : `status ${st}, ${b.length} bytes`) },
  {
    name: "event stream",
    path: "/sse/?events=3&interval=10",
    expect: (st, b) => (st === 200 && b.split("\n\n").length - 1 === 3 ? undefined : `status ${st}, body ${JSON.stringify(b.slice(0, 80))}`),
  },
];

/** Problems found, as "proxy: check: what came back"; empty when every route works. */
export async function smokeCheck(proxies: readonly RunningProxy[]): Promise<string[]> {
  const problems: string[] = [];
  for (const p of proxies) {
    for (const c of CHECKS) {
      try {
        const res = await fetch(`http://${HOST}:${p.port}${c.path}`, {
          method: c.body ? "POST" : "GET",
          ...(c.body ? { body: c.body, headers: { "Content-Type": "application/octet-stream" } } : {}),
          signal: AbortSignal.timeout(10_000),
        });
        const problem = c.expect(res.status, await res.text());
        if (problem) problems.push(`${p.label}: ${c.name}: ${problem}`);
      } catch (e) {
        problems.push(`${p.label}: ${c.name}: ${(e as Error).message}`);
      }
    }
  }
  return problems;
}

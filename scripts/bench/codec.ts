// Codec micro-benchmarks, run as a program on each runtime (Node runs an esbuild bundle of this file, Deno and
// Bun the source). Prints one JSON line:
//   encode: encodeRequestHead for a typical 30-variable request (ns per request head, bytes)
//   decode: RecordDecoder over `--bytes` of STDOUT content in 64 KiB records, pushed as 64 KiB reads (GB/s),
//           and the same in 8 KiB records (what libfcgi writes)
// Usage: codec.ts [--bytes N]
import process from "node:process";
import { RecordDecoder, type RecordHandlers } from "../../src/protocol/decoder.ts";
import { encodeRequestHead } from "../../src/protocol/request-head.ts";

const STDOUT = 6;

/** What a browser's GET through Apache-style CGI variables looks like: 30 of them. */
const TYPICAL_PARAMS: ReadonlyArray<readonly [string, string]> = [
  ["GATEWAY_INTERFACE", "CGI/1.1"],
  ["SERVER_SOFTWARE", "proxy-fcgi"],
  ["SERVER_NAME", "www.example.com"],
  ["SERVER_ADDR", "127.0.0.1"],
  ["SERVER_PORT", "443"],
  ["SERVER_PROTOCOL", "HTTP/1.1"],
  ["REMOTE_ADDR", "203.0.113.57"],
  ["REMOTE_PORT", "51234"],
  ["REQUEST_METHOD", "GET"],
  ["REQUEST_SCHEME", "https"],
  ["HTTPS", "on"],
  ["REQUEST_URI", "/index.php/products/42?sort=price&page=2"],
  ["QUERY_STRING", "sort=price&page=2"],
  ["SCRIPT_NAME", "/index.php"],
  ["SCRIPT_FILENAME", "proxy:fcgi://127.0.0.1:9000/srv/app/public/index.php"],
  ["PATH_INFO", "/products/42"],
  ["PATH_TRANSLATED", "/srv/app/public/products/42"],
  ["DOCUMENT_ROOT", "/srv/app/public"],
  ["CONTEXT_PREFIX", ""],
  ["CONTEXT_DOCUMENT_ROOT", "/srv/app/public"],
  ["HTTP_HOST", "www.example.com"],
  ["HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"],
  ["HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"],
  ["HTTP_ACCEPT_LANGUAGE", "en-GB,en;q=0.9,de;q=0.7"],
  ["HTTP_ACCEPT_ENCODING", "gzip, deflate, br, zstd"],
  ["HTTP_COOKIE", "PHPSESSID=9d1f0c2b7a6e4f3d8c5b1a0e9f8d7c6b; theme=dark; consent=1"],
  ["HTTP_REFERER", "https://www.example.com/index.php/products?page=1"],
  ["HTTP_CONNECTION", "keep-alive"],
  ["HTTP_CACHE_CONTROL", "max-age=0"],
  ["HTTP_SEC_FETCH_MODE", "navigate"],
];

function runtimeName(): { runtime: string; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { runtime: "deno", version: g.Deno.version.deno };
  if (g.Bun) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}

/** Calls `fn` in batches until `ms` have passed; returns nanoseconds per call. */
function timePerCall(fn: () => void, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    now = performance.now();
  }
  return ((now - start) * 1e6) / calls;
}

function benchEncode(ms: number): { nsPerHead: number; bytes: number } {
  let sink = 0;
  let requestId = 1;
  const encode = () => {
    const head = encodeRequestHead({ requestId, keepConn: true, params: TYPICAL_PARAMS });
    sink += head.length + head[head.length - 1]!;
    requestId = requestId === 0xffff ? 1 : requestId + 1;
  };
  timePerCall(encode, Math.min(300, ms)); // warm-up: let the JIT settle
  const nsPerHead = timePerCall(encode, ms);
  const bytes = encodeRequestHead({ requestId: 1, keepConn: true, params: TYPICAL_PARAMS }).length;
  if (sink === -1) console.log(sink);
  return { nsPerHead, bytes };
}

/** A buffer of whole STDOUT records holding `content` bytes each (padded to 8), `count` records. */
function recordsBuffer(content: number, count: number): Uint8Array {
  const padding = (8 - (content % 8)) % 8;
  const size = 8 + content + padding;
  const buf = new Uint8Array(size * count).fill(0x78);
  for (let r = 0; r < count; r++) {
    const at = r * size;
    buf[at] = 1;
    buf[at + 1] = STDOUT;
    buf[at + 2] = 0;
    buf[at + 3] = 1;
    buf[at + 4] = content >> 8;
    buf[at + 5] = content & 0xff;
    buf[at + 6] = padding;
    buf[at + 7] = 0;
    buf.fill(0, at + 8 + content, at + size);
  }
  return buf;
}

function benchDecode(totalBytes: number, recordContent: number, readSize: number): { gbPerS: number; bytes: number; seconds: number } {
  // ~4 MiB of records cut into socket-sized reads (views made up front: a socket hands us fresh chunks too).
  const count = Math.max(1, Math.floor((4 * 1024 * 1024) / (recordContent + 8)));
  const buf = recordsBuffer(recordContent, count);
  const reads: Uint8Array[] = [];
  for (let p = 0; p < buf.length; p += readSize) reads.push(buf.subarray(p, Math.min(buf.length, p + readSize)));
  const contentPerPass = count * recordContent;
  let content = 0;
  const handlers: RecordHandlers = {
    stream: (_type, _id, data) => {
      content += data.length;
    },
    streamEnd: () => {},
    beginRequest: () => {},
    abortRequest: () => {},
    endRequest: () => {},
    management: () => {},
  };
  const decoder = new RecordDecoder(handlers);
  // Warm-up pass, then the timed ones.
  for (const r of reads) decoder.push(r);
  content = 0;
  const passes = Math.max(1, Math.round(totalBytes / contentPerPass));
  const start = performance.now();
  for (let i = 0; i < passes; i++) for (const r of reads) decoder.push(r);
  const seconds = (performance.now() - start) / 1000;
  if (content !== passes * contentPerPass) throw new Error(`decoded ${content} bytes, expected ${passes * contentPerPass}`);
  return { gbPerS: content / seconds / 1e9, bytes: content, seconds };
}

function main(): void {
  const argv = process.argv.slice(2);
  const i = argv.indexOf("--bytes");
  const totalBytes = i >= 0 ? Number(argv[i + 1]) : 1024 ** 3;
  const result = {
    ...runtimeName(),
    encode: benchEncode(1000),
    decode64k: benchDecode(totalBytes, 65535, 65536),
    decode8k: benchDecode(totalBytes, 8192, 65536),
  };
  console.log(JSON.stringify(result));
}

main();

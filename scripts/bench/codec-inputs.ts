// The inputs and timing loops shared by the codec micro-benchmarks (scripts/bench/codec.ts): ours and the
// fastcgi-client comparison run on exactly the same params, records and reads.

const STDOUT = 6;

/** What a browser's GET through Apache-style CGI variables looks like: 30 of them. */
export const TYPICAL_PARAMS: ReadonlyArray<readonly [string, string]> = [
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

/** Calls `fn` in batches until `ms` have passed; returns nanoseconds per call. */
export function timePerCall(fn: () => void, ms: number): number {
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

export interface StdoutReads {
  /** Socket-sized views into one buffer of whole records (made up front: a socket hands out fresh chunks too). */
  readonly reads: readonly Uint8Array[];
  /** STDOUT content bytes in one pass over `reads`. */
  readonly contentPerPass: number;
}

/** ~4 MiB of STDOUT records of `recordContent` bytes each, cut into `readSize` reads. */
export function stdoutReads(recordContent: number, readSize: number): StdoutReads {
  const count = Math.max(1, Math.floor((4 * 1024 * 1024) / (recordContent + 8)));
  const buf = recordsBuffer(recordContent, count);
  const reads: Uint8Array[] = [];
  for (let p = 0; p < buf.length; p += readSize) reads.push(buf.subarray(p, Math.min(buf.length, p + readSize)));
  return { reads, contentPerPass: count * recordContent };
}

export interface DecodeTiming {
  readonly gbPerS: number;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * One warm-up pass over `reads`, then enough passes for `totalBytes` of content, timed. `push` feeds one read
 * to the decoder under test; `takeContent` returns the content bytes it reported since the last call and resets.
 */
export function timeDecode<T>(
  reads: readonly T[],
  contentPerPass: number,
  totalBytes: number,
  push: (read: T) => void,
  takeContent: () => number,
): DecodeTiming {
  for (const r of reads) push(r);
  takeContent();
  const passes = Math.max(1, Math.round(totalBytes / contentPerPass));
  // Views only, no copies: 1 GiB decodes in tens of ms, so one timing swings with any hiccup. The median of
  // ROUNDS is what is reported.
  const timings: number[] = [];
  let content = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < passes; i++) for (const r of reads) push(r);
    timings.push((performance.now() - start) / 1000);
    content = takeContent();
    if (content !== passes * contentPerPass) throw new Error(`decoded ${content} bytes, expected ${passes * contentPerPass}`);
  }
  const seconds = timings.sort((a, b) => a - b)[ROUNDS >> 1]!;
  return { gbPerS: content / seconds / 1e9, bytes: content, seconds };
}

const ROUNDS = 7;

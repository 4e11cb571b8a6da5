// A minimal HTTP/1.x client over node:net: sends a request exactly as written (any request line, header
// spelling or order) and reads one response. Differential tests need this because fetch() and node:http
// add, reorder or refuse what they consider wrong.
import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);

/**
 * Sends `request` (the whole message, head and body) to 127.0.0.1:`port` and reads one response. The
 * request should carry `Connection: close`; reading stops at the end of the framed body or at EOF.
 */
export function rawRequest(port: number, request: string | Uint8Array, options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const bytes = typeof request === "string" ? latin1Bytes(request) : request;
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let settled = false;
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(bytes));
    const timer = setTimeout(() => finish(new Error(`no complete response within ${options.timeoutMs ?? 5000} ms`)), options.timeoutMs ?? 5000);
    function finish(error?: Error, response?: RawResponse): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    }
    function tryParse(eof: boolean): void {
      const all = concat(chunks);
      const parsed = parseResponse(all, eof, options.head ?? false);
      if (parsed) finish(undefined, parsed);
      else if (eof) finish(new Error(`incomplete response: ${JSON.stringify(new TextDecoder().decode(all).slice(0, 300))}`));
    }
    socket.on("data", (chunk: Uint8Array) => {
      chunks.push(new Uint8Array(chunk));
      tryParse(false);
    });
    socket.once("end", () => tryParse(true));
    socket.once("error", (e) => {
      // A server may reset after answering a bad request; keep what arrived if it is complete.
      if (chunks.length > 0) tryParse(true);
      finish(e);
    });
  });
}

function parseResponse(all: Uint8Array, eof: boolean, head: boolean): RawResponse | undefined {
  const end = indexOf(all, CRLF2, 0);
  if (end < 0) return undefined;
  const lines = latin1String(all.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? "");
  if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  // 1xx interim responses: skip and parse what follows.
  if (status >= 100 && status < 200) return parseResponse(all.subarray(end + 4), eof, head);
  const rest = all.subarray(end + 4);
  if (head || status === 204 || status === 304) return { status, headers, body: new Uint8Array(0) };
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    const body = dechunk(rest);
    return body ? { status, headers, body } : undefined;
  }
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    const n = Number(cl);
    return rest.length >= n ? { status, headers, body: rest.slice(0, n) } : undefined;
  }
  return eof ? { status, headers, body: rest.slice() } : undefined;
}

/** The decoded body once the last chunk arrived, else undefined. */
function dechunk(data: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = indexOf(data, CRLF2.subarray(0, 2), at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(latin1String(data.subarray(at, lineEnd)).split(";")[0]!.trim(), 16);
    if (!Number.isFinite(size)) throw new Error("bad chunk size");
    at = lineEnd + 2;
    if (size === 0) return concat(parts);
    if (data.length < at + size + 2) return undefined;
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Each char code 0-255 as one byte, so a request can carry raw non-ASCII bytes exactly. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error(`char ${c} does not fit a byte; encode it first`);
    out[i] = c;
  }
  return out;
}

function latin1String(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

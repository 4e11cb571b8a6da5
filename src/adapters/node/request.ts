// node:http IncomingMessage → Fetch Request, with the raw request-target and HTTP version kept for CGI.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { normaliseAddress, type ConnectionInfo } from "../../connection-info.ts";

export function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const target = req.url ?? "/";
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  const url = target.startsWith("/") ? `http://${host}${target}` : target;
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  // An absolute-form target names the host itself; the server must ignore Host (RFC 9112 §3.2.2).
  if (!target.startsWith("/")) headers.set("host", new URL(target).host);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD" &&
    (req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0");
  return new Request(url, {
    method,
    headers,
    signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

export function connectionInfo(req: IncomingMessage): ConnectionInfo {
  const s = req.socket;
  return {
    remoteAddress: normaliseAddress(s.remoteAddress),
    remotePort: s.remotePort,
    localAddress: normaliseAddress(s.localAddress),
    localPort: s.localPort ?? 0,
    tls: "encrypted" in s && Boolean((s as { encrypted?: boolean }).encrypted),
    rawTarget: req.url ?? "/",
    httpVersion: req.httpVersion,
  };
}

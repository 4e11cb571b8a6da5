// node:http IncomingMessage → Fetch Request, with the raw request-target and HTTP version kept for CGI.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { normaliseAddress, type AbortHook, type ConnectionInfo } from "../../connection-info.ts";

/**
 * Tells the gateway the client left (the response closed before it finished). Request.signal would need an
 * AbortController per request, which costs Node more than the rest of this adapter.
 */
export class ResponseClosed implements AbortHook {
  #listeners: Array<() => void> | undefined;

  constructor(res: ServerResponse) {
    res.once("close", () => {
      if (res.writableFinished) return;
      const ls = this.#listeners;
      this.#listeners = undefined;
      if (ls) for (const l of ls) l();
    });
  }

  addEventListener(_type: "abort", listener: () => void): void {
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const ls = this.#listeners;
    if (!ls) return;
    const i = ls.indexOf(listener);
    if (i >= 0) ls.splice(i, 1);
  }
}

export function toRequest(req: IncomingMessage): Request {
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
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

export function connectionInfo(req: IncomingMessage, gone: ResponseClosed): ConnectionInfo {
  const s = req.socket;
  return {
    remoteAddress: normaliseAddress(s.remoteAddress),
    remotePort: s.remotePort,
    localAddress: normaliseAddress(s.localAddress),
    localPort: s.localPort ?? 0,
    tls: "encrypted" in s && Boolean((s as { encrypted?: boolean }).encrypted),
    rawTarget: req.url ?? "/",
    httpVersion: req.httpVersion,
    clientGone: gone,
  };
}

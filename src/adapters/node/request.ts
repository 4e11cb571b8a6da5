// node:http IncomingMessage → what the gateway reads: a ProxyRequest (no Fetch objects) for the gateway's own
// server, or a Fetch Request for any other handler. The raw request-target and HTTP version are kept for CGI.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { AbortHook } from "../../connection-info.ts";
import type { ProxyRequest } from "../../gateway/messages.ts";
import { RawHeaders } from "./raw-headers.ts";

/**
 * Tells the gateway the client left (the response closed before it finished). Request.signal would need an
 * AbortController per request, which costs Node more than the rest of this adapter.
 */
export class ResponseClosed implements AbortHook {
  #listeners: Array<() => void> | undefined;
  #fired = false;

  constructor(res: ServerResponse) {
    res.once("close", () => {
      if (res.writableFinished) return;
      this.#fired = true;
      const ls = this.#listeners;
      this.#listeners = undefined;
      if (ls) for (const l of ls) l();
    });
  }

  get aborted(): boolean {
    return this.#fired;
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

/** The request as the gateway reads it; the body becomes a web stream only if someone asks for it. */
export class NodeRequest implements ProxyRequest {
  readonly method: string;
  readonly headers: RawHeaders;
  readonly #req: IncomingMessage;
  readonly #target: string;
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(req: IncomingMessage) {
    this.#req = req;
    this.method = req.method ?? "GET";
    this.#target = req.url ?? "/";
    this.headers = new RawHeaders(req.rawHeaders);
    // An absolute-form target names the host itself; the server must ignore Host (RFC 9112 §3.2.2).
    if (!this.#target.startsWith("/")) {
      try {
        this.headers.set("host", new URL(this.#target).host);
      } catch {
        // an unparsable target: the gateway answers 400 for its URL
      }
    }
  }

  get url(): string {
    const t = this.#target;
    if (!t.startsWith("/")) return t;
    const s = this.#req.socket;
    return `http://${this.headers.get("host") ?? `${s.localAddress}:${s.localPort}`}${t}`;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body === undefined) {
      const m = this.method;
      const h = this.headers;
      const hasBody = m !== "GET" && m !== "HEAD" && (h.has("transfer-encoding") || (h.get("content-length") ?? "0") !== "0");
      this.#body = hasBody ? Readable.toWeb(this.#req) as ReadableStream<Uint8Array> : null;
    }
    return this.#body;
  }
}

/** A Fetch Request, for a handler that is not the gateway's own. */
export function toRequest(req: IncomingMessage): Request {
  const r = new NodeRequest(req);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const host = r.headers.get("host");
  if (host !== null) headers.set("host", host);
  const body = r.body;
  return new Request(r.url, {
    method: r.method,
    headers,
    ...(body ? { body, duplex: "half" } : {}),
  } as RequestInit);
}


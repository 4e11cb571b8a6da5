// The gateway's answer → node:http ServerResponse, streaming with backpressure. A body known whole goes in one
// write with its Content-Length. A body that errors mid-way destroys the socket, so the client sees an
// incomplete response rather than a clean end.
import type { ServerResponse } from "node:http";
import process from "node:process";
import type { ProxyResponse } from "../../gateway/messages.ts";

export async function writeProxyResponse(res: ServerResponse, r: ProxyResponse): Promise<void> {
  const head: string[] = [];
  for (const [name, value] of r.headers) head.push(name, value);
  const body = r.body;
  if (body instanceof Uint8Array) {
    head.push("content-length", String(body.length));
    res.writeHead(r.status, r.statusText || undefined, head);
    res.end(body);
    return;
  }
  res.writeHead(r.status, r.statusText || undefined, head);
  if (!body) {
    res.end();
    return;
  }
  const reader = body.getReader();
  const onClose = () => { if (!res.writableFinished) reader.cancel().catch(() => {}); };
  res.once("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Chunks already queued in the stream arrive within this tick: corked, they leave in one writev instead
      // of a syscall each (a backend writes a large body in 8 KiB records).
      if (!res.writableCorked) {
        res.cork();
        process.nextTick(uncork, res);
      }
      if (!res.write(value)) await drain(res);
    }
    res.end();
  } catch (e) {
    res.destroy(e as Error);
  } finally {
    res.off("close", onClose);
  }
}

/** A Fetch Response from a handler that is not the gateway's own. */
export function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers.push([name, value]);
  for (const cookie of response.headers.getSetCookie()) headers.push(["set-cookie", cookie]);
  return writeProxyResponse(res, { status: response.status, statusText: response.statusText, headers, body: response.body });
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

function drain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

// Fetch Response → node:http ServerResponse, streaming with backpressure. A body that errors mid-way destroys
// the socket, so the client sees an incomplete response rather than a clean end.
import type { ServerResponse } from "node:http";
import { completeBodies } from "../../gateway/exchange.ts";

export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const head: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    head.push(name, value);
  }
  for (const cookie of response.headers.getSetCookie()) head.push("set-cookie", cookie);
  // A body the gateway already holds whole (a small response): one write, with its length.
  const complete = completeBodies.get(response);
  if (complete) {
    head.push("content-length", String(complete.length));
    res.writeHead(response.status, response.statusText || undefined, head);
    res.end(complete);
    return;
  }
  res.writeHead(response.status, response.statusText || undefined, head);
  const body = response.body;
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
      if (!res.write(value)) await drain(res);
    }
    res.end();
  } catch (e) {
    res.destroy(e as Error);
  } finally {
    res.off("close", onClose);
  }
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

// One large transfer through a proxy, on one connection: a download counted as it arrives, or an upload
// with Content-Length written as fast as the proxy takes it (backpressure honoured).
import { request } from "node:http";
import { HOST } from "./net.ts";

export interface TransferResult {
  readonly status: number;
  /** Bytes received (download) or confirmed by the backend (upload: its "read N" answer). */
  readonly bytes: number;
  readonly seconds: number;
  readonly error?: string;
}

export function download(port: number, path: string, timeoutMs: number): Promise<TransferResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    let bytes = 0;
    let status = 0;
    let finished = false;
    const done = (error?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ status, bytes, seconds: (performance.now() - start) / 1000, ...(error ? { error } : {}) });
    };
    const req = request({ host: HOST, port, path, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.once("end", () => done());
      res.once("error", (e) => done(e.message));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(`timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    req.once("error", (e) => done(e.message));
    req.end();
  });
}

export function upload(port: number, path: string, size: number, timeoutMs: number): Promise<TransferResult> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x78);
    const start = performance.now();
    let status = 0;
    let body = "";
    let finished = false;
    const done = (error?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const read = /read (\d+)/.exec(body);
      resolve({
        status,
        bytes: read ? Number(read[1]) : 0,
        seconds: (performance.now() - start) / 1000,
        ...(error ? { error } : {}),
      });
    };
    const req = request(
      {
        host: HOST,
        port,
        path,
        method: "POST",
        agent: false,
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) },
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding("utf8");
        res.on("data", (s: string) => {
          if (body.length < 4096) body += s;
        });
        res.once("end", () => done(status === 200 ? undefined : `status ${status}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ""}`));
        res.once("error", (e) => done(e.message));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done(`timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    // A proxy that refuses the body part-way closes the connection: say how far the upload got.
    req.once("error", (e) => done(`${e.message} after ${size - left - (req.writableLength ?? 0)} bytes sent`));
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once("drain", pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

// Small shared pieces for the integration tests: bodies, hashes, reading streams with arrival times, and
// the gateway's log lines.
import { createHash, randomFillSync } from "node:crypto";
import type { TestGateway } from "./harness.ts";

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  // randomFillSync fills at most 2^31-1 bytes per call; our bodies are far smaller.
  randomFillSync(out);
  return out;
}

export function sha1Hex(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}

/** A body of unknown length (no Content-Length: sent chunked over HTTP), in `piece`-sized chunks. */
export function streamOf(data: Uint8Array, piece = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) {
        controller.close();
        return;
      }
      controller.enqueue(data.slice(at, at + piece));
      at += piece;
    },
  });
}

/** Reads a body to the end, noting when (Date.now()) each piece arrived. */
export async function readTimed(body: ReadableStream<Uint8Array>): Promise<{ text: string; arrivals: number[] }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const arrivals: number[] = [];
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    arrivals.push(Date.now());
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), arrivals };
}

/** The request id the gateway logged for the request line with this exact `uri=`. */
export function requestIdFor(gw: TestGateway, uri: string): string | undefined {
  for (const { line } of gw.logs) {
    const m = / req=([0-9a-f]{6}-\d+) (?:client=\S+ )?method=\S+ uri=(\S+) /.exec(line);
    if (m && m[2] === uri) return m[1];
  }
  return undefined;
}

/** Log lines of one request id. */
export function logsOf(gw: TestGateway, id: string): string[] {
  return gw.logs.map((l) => l.line).filter((line) => line.includes(` req=${id} `));
}

/** Parses `KEY=VALUE` lines (split at the first `=`), as the CGI and libfcgi test backends print them. */
export function parseEnvLines(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

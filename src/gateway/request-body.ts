// Decides how a request body reaches FCGI_STDIN and what CONTENT_LENGTH says about it.
//
// - No body: no CONTENT_LENGTH (unless the client sent `Content-Length: 0`), just the empty STDIN record.
// - Known length: small bodies are read first and leave with the request head in one write (Apache prefetches
//   up to 16 KiB before connecting, too); larger ones stream with backpressure.
// - Unknown length (chunked): spooled by default and sent with the exact CONTENT_LENGTH, because PHP-FPM ignores
//   a body without one (php bug #60826; Apache's proxy-sendcl). `request-buffering=stream` streams it without.
// - Over `max-body` (Apache's LimitRequestBody): 413, known or unknown length.
import { BadRequest, PayloadTooLarge } from "../errors.ts";
import type { TempStore } from "../platform/types.ts";
import { concatBytes } from "../bytes.ts";
import type { ProxyRequest } from "./messages.ts";

export type BodyPlan =
  | { readonly kind: "none"; readonly length: undefined | 0 }
  | { readonly kind: "inline"; readonly length: number; readonly bytes: Uint8Array }
  | { readonly kind: "stream"; readonly length: number | undefined; readonly source: ReadableStream<Uint8Array>; readonly max: number };

/** Bodies up to this size are read before connecting and sent in the head's write. */
export const INLINE_MAX = 16 * 1024;
/** Spooled bodies stay in memory up to this size, then move to a temp file. */
export const SPOOL_MEMORY = 1024 * 1024;

export interface BodyOptions {
  readonly maxBody: number;
  readonly buffering: "spool" | "stream";
  readonly tempStore: TempStore | undefined;
  /** Memory cap for spooling where there is no temp store (Workers). */
  readonly memoryOnlyCap: number;
}

const NONE: BodyPlan = Object.freeze({ kind: "none", length: undefined });

/** Synchronous for a request without a body (most of them): no promise to wait for. Throws BadRequest. */
export function planBody(request: ProxyRequest, opts: BodyOptions): BodyPlan | Promise<BodyPlan> {
  const header = request.headers.get("content-length");
  const declared = header === null ? undefined : parseLength(header);
  const body = request.body;
  if (body === null) return declared === 0 ? { kind: "inline", length: 0, bytes: new Uint8Array(0) } : NONE;
  return planStream(request, body, declared, opts);
}

async function planStream(
  request: ProxyRequest,
  body: ReadableStream<Uint8Array>,
  declared: number | undefined,
  opts: BodyOptions,
): Promise<BodyPlan> {
  if (declared !== undefined) {
    if (declared > opts.maxBody) {
      await body.cancel().catch(() => {});
      throw new PayloadTooLarge(`Content-Length ${declared} is over max-body ${opts.maxBody}`);
    }
    if (declared <= INLINE_MAX) {
      const bytes = await readAll(body, declared);
      return { kind: "inline", length: bytes.length, bytes };
    }
    return { kind: "stream", length: declared, source: body, max: declared };
  }
  // Unknown length. A message with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 §6.3),
  // yet Deno hands OPTIONS/DELETE an empty stream and a Request built with a stream has neither header: look
  // at the first chunk before promising the backend a body.
  const reader = body.getReader();
  let first = await reader.read();
  while (!first.done && first.value.length === 0) first = await reader.read(); // Deno yields an empty chunk first
  if (first.done) {
    reader.releaseLock();
    return request.headers.has("transfer-encoding") ? { kind: "inline", length: 0, bytes: new Uint8Array(0) } : NONE;
  }
  if (opts.buffering === "stream") return { kind: "stream", length: undefined, source: prepend(first.value, reader), max: opts.maxBody };
  return spool(first.value, reader, opts);
}

/** The rest of a reader's stream with the chunk already read put back in front. */
function prepend(first: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let pending: Uint8Array | undefined = first;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function parseLength(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new BadRequest(`invalid Content-Length "${text.slice(0, 40)}"`);
  return Number(text);
}

async function readAll(body: ReadableStream<Uint8Array>, expected: number): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let n = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > expected) {
      await reader.cancel().catch(() => {});
      throw new BadRequest("request body longer than its Content-Length");
    }
    out.set(value, n);
    n += value.length;
  }
  if (n !== expected) throw new BadRequest(`request body ended after ${n} of ${expected} bytes`);
  return out;
}

async function spool(first: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>, opts: BodyOptions): Promise<BodyPlan> {
  const memoryLimit = opts.tempStore ? SPOOL_MEMORY : Math.min(opts.maxBody, opts.memoryOnlyCap);
  const limit = opts.tempStore ? opts.maxBody : memoryLimit;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let file: Awaited<ReturnType<TempStore>> | undefined;
  try {
    for (let next: ReadableStreamReadResult<Uint8Array> = { done: false, value: first }; !next.done; next = await reader.read()) {
      const value = next.value;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new PayloadTooLarge(`request body is over max-body ${limit}`);
      }
      if (file) {
        await file.write(value);
      } else if (total > memoryLimit && opts.tempStore) {
        file = await opts.tempStore();
        for (const c of chunks) await file.write(c);
        chunks.length = 0;
        await file.write(value);
      } else {
        chunks.push(value);
      }
    }
  } catch (e) {
    await file?.dispose();
    throw e;
  }
  if (file) return { kind: "stream", length: total, source: file.readable(), max: total };
  return { kind: "inline", length: total, bytes: concatBytes(chunks, total) };
}

// Test helper (not a test file): records what a RecordDecoder reports, and builds raw records by
// hand so tests do not depend on the encoder they are checking.

import { RecordDecoder } from "../../src/protocol/index.ts";
import type { RecordDecoderOptions, RecordHandlers } from "../../src/protocol/index.ts";
import { concat } from "../helpers/bytes.ts";
export { concat };

export type DecodedEvent =
  | { kind: "stream"; type: number; requestId: number; data: Uint8Array }
  | { kind: "streamEnd"; type: number; requestId: number }
  | { kind: "begin"; requestId: number; role: number; flags: number }
  | { kind: "abort"; requestId: number }
  | { kind: "end"; requestId: number; appStatus: number; protocolStatus: number }
  | { kind: "management"; type: number; content: Uint8Array };


/** Handlers that append events; stream pieces are copied (the decoder hands out views). */
export function recorder(): { handlers: RecordHandlers; events: DecodedEvent[] } {
  const events: DecodedEvent[] = [];
  const handlers: RecordHandlers = {
    stream(type, requestId, data) {
      if (data.length === 0) throw new Error("decoder emitted an empty stream piece");
      events.push({ kind: "stream", type, requestId, data: data.slice() });
    },
    streamEnd(type, requestId) {
      events.push({ kind: "streamEnd", type, requestId });
    },
    beginRequest(requestId, role, flags) {
      events.push({ kind: "begin", requestId, role, flags });
    },
    abortRequest(requestId) {
      events.push({ kind: "abort", requestId });
    },
    endRequest(requestId, appStatus, protocolStatus) {
      events.push({ kind: "end", requestId, appStatus, protocolStatus });
    },
    management(type, content) {
      events.push({ kind: "management", type, content: content.slice() });
    },
  };
  return { handlers, events };
}

/** Merge adjacent stream pieces of the same stream, so results do not depend on where input was split. */
export function mergeStreams(events: readonly DecodedEvent[]): DecodedEvent[] {
  const out: DecodedEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.kind === "stream" && last?.kind === "stream" && last.type === e.type && last.requestId === e.requestId) {
      out[out.length - 1] = { ...last, data: concat([last.data, e.data]) };
    } else out.push(e);
  }
  return out;
}

/** Decode `bytes` pushed as the given pieces; returns merged events and whether the decoder ended idle. */
export function decodePieces(
  pieces: readonly Uint8Array[],
  options?: RecordDecoderOptions,
): { events: DecodedEvent[]; idle: boolean } {
  const r = recorder();
  const decoder = new RecordDecoder(r.handlers, options);
  for (const piece of pieces) decoder.push(piece);
  return { events: mergeStreams(r.events), idle: decoder.idle };
}

/** Split `bytes` at the given sorted offsets. */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const at of offsets) {
    pieces.push(bytes.subarray(from, at));
    from = at;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** A record built by hand, with explicit padding filled with `padByte` (padding content is ignored by readers). */
export function rawRecord(
  type: number,
  requestId: number,
  content: Uint8Array | readonly number[],
  padding = 0,
  version = 1,
  padByte = 0xee,
): Uint8Array {
  const c = content instanceof Uint8Array ? content : Uint8Array.from(content);
  const out = new Uint8Array(8 + c.length + padding);
  out.set([version, type, requestId >> 8, requestId & 0xff, c.length >> 8, c.length & 0xff, padding, 0]);
  out.set(c, 8);
  out.fill(padByte, 8 + c.length);
  return out;
}

export interface ParsedRecord {
  version: number;
  type: number;
  requestId: number;
  content: Uint8Array;
  padding: Uint8Array;
}

/** Walk complete records with a plain loop (a second reader, independent of RecordDecoder). */
export function walkRecords(bytes: Uint8Array): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  let p = 0;
  while (p < bytes.length) {
    if (bytes.length - p < 8) throw new Error(`truncated header at ${p}`);
    const length = (bytes[p + 4]! << 8) | bytes[p + 5]!;
    const pad = bytes[p + 6]!;
    const end = p + 8 + length + pad;
    if (end > bytes.length) throw new Error(`truncated record at ${p}`);
    out.push({
      version: bytes[p]!,
      type: bytes[p + 1]!,
      requestId: (bytes[p + 2]! << 8) | bytes[p + 3]!,
      content: bytes.slice(p + 8, p + 8 + length),
      padding: bytes.slice(p + 8 + length, end),
    });
    p = end;
  }
  return out;
}

/** Reference pair encoder, written the obvious way (encode, then prefix lengths). */
export function referencePair(name: string, value: string): Uint8Array {
  const enc = new TextEncoder();
  const n = enc.encode(name);
  const v = enc.encode(value);
  const len = (k: number) => (k < 128 ? [k] : [(k >>> 24) | 0x80, (k >>> 16) & 0xff, (k >>> 8) & 0xff, k & 0xff]);
  return concat([Uint8Array.from([...len(n.length), ...len(v.length)]), n, v]);
}

/** Small seeded PRNG (mulberry32) so randomized tests reproduce from the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

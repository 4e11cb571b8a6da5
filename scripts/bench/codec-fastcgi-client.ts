// The npm package fastcgi-client 0.2.0's codec on the same inputs as ours (issue C asks for the comparison).
// It is CommonJS and uses `new Buffer`, so it is loaded with createRequire, and only where it loads and runs:
// otherwise the result is null with the reason.
//   encode: lib/stringifykv.js turns the 30 params into name-value pairs only (no BEGIN_REQUEST, no record
//           headers or padding: less work than encodeRequestHead).
//   decode: its record parser is a closure inside lib/connection.js, driven by the socket's 'data' events and
//           emitting `message-<type>` with slices. The connection is opened on a stand-in socket (node:net's
//           createConnection swapped out while it connects) and fed our exact reads as Buffer views. It needs
//           each 8-byte record header whole within one read (a split header makes it throw ERR_OUT_OF_RANGE),
//           which holds here: the records are 8-byte aligned and the reads 64 KiB.
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { TYPICAL_PARAMS, stdoutReads, timeDecode, timePerCall, type DecodeTiming } from "./codec-inputs.ts";
import type { FastcgiClientCodec } from "./results.ts";

const STDOUT = 6;

type Require = (id: string) => unknown;
type Stringifykv = (kv: Record<string, string>) => Buffer;
type Connect = (client: { _port: number; _host: string }) => EventEmitter;

/** Node runs this file as a bundle in a temp dir, started with the repo root as cwd: look beside it, then there. */
function packageRequire(): { req: Require; version: string } {
  const misses: string[] = [];
  for (const base of [import.meta.url, pathToFileURL(`${process.cwd()}/`).href]) {
    const req = createRequire(base) as Require;
    try {
      return { req, version: (req("fastcgi-client/package.json") as { version: string }).version };
    } catch (e) {
      misses.push(`${base}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`fastcgi-client not found (${misses.join("; ")})`);
}

function benchEncode(req: Require, ms: number): { nsPerCall: number; bytes: number; pairs: Buffer } {
  const stringifykv = req("fastcgi-client/lib/stringifykv.js") as Stringifykv;
  const kv = Object.fromEntries(TYPICAL_PARAMS);
  let sink = 0;
  const encode = () => {
    const pairs = stringifykv(kv);
    sink += pairs.length + pairs[pairs.length - 1]!;
  };
  timePerCall(encode, Math.min(300, ms)); // warm-up, as for ours
  const nsPerCall = timePerCall(encode, ms);
  const pairs = stringifykv(kv);
  if (sink === -1) console.log(sink);
  return { nsPerCall, bytes: pairs.length, pairs };
}

/** A connection of theirs whose socket is `socket`: emitting 'data' on it runs their record parser. */
function parserConnection(req: Require): { conn: EventEmitter; socket: EventEmitter } {
  const socket = Object.assign(new EventEmitter(), { setKeepAlive() {}, end() {}, write: () => true });
  // connection.js keeps node:net's module object and calls net.createConnection when a connection is made.
  const net = req("node:net") as { createConnection: unknown };
  const original = net.createConnection;
  const standIn = () => socket;
  net.createConnection = standIn;
  try {
    if (net.createConnection !== standIn) throw new Error("node:net's createConnection cannot be replaced here");
    const connect = req("fastcgi-client/lib/connection.js") as Connect;
    const conn = connect({ _port: 1, _host: "127.0.0.1" });
    if (socket.listenerCount("data") !== 1) throw new Error("its connection did not take the stand-in socket");
    return { conn, socket };
  } finally {
    net.createConnection = original;
  }
}

function benchDecode(req: Require, totalBytes: number, recordContent: number, readSize: number): DecodeTiming {
  const { reads, contentPerPass } = stdoutReads(recordContent, readSize);
  // Views over the same bytes, not copies: Node's sockets hand out Buffers, and the parser calls Buffer methods.
  const chunks = reads.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength));
  const { conn, socket } = parserConnection(req);
  let content = 0;
  conn.on(`message-${STDOUT}`, (_requestId: number, slice: Buffer) => {
    content += slice.length;
  });
  // No 'error' listener on purpose: a protocol error it reports then throws out of emit and fails the run.
  return timeDecode(chunks, contentPerPass, totalBytes, (chunk) => socket.emit("data", chunk), () => {
    const n = content;
    content = 0;
    return n;
  });
}

export interface FastcgiClientComparison {
  readonly fastcgiClient: FastcgiClientCodec | null;
  readonly fastcgiClientError?: string;
}

/** `ourPairs`: the content of our PARAMS record for TYPICAL_PARAMS, to check both encode the same pairs. */
export function compareFastcgiClient(totalBytes: number, ourPairs: Uint8Array): FastcgiClientComparison {
  try {
    const { req, version } = packageRequire();
    const { pairs, ...encode } = benchEncode(req, 1000);
    return {
      fastcgiClient: {
        version,
        encode,
        samePairs: Buffer.from(ourPairs.buffer, ourPairs.byteOffset, ourPairs.byteLength).equals(pairs),
        decode64k: benchDecode(req, totalBytes, 65535, 65536),
        decode8k: benchDecode(req, totalBytes, 8192, 65536),
      },
    };
  } catch (e) {
    return { fastcgiClient: null, fastcgiClientError: String((e as Error)?.message ?? e) };
  }
}

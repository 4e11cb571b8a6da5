// Codec micro-benchmarks, run as a program on each runtime (Node runs an esbuild bundle of this file, Deno and
// Bun the source). Prints one JSON line (a CodecRow of scripts/bench/results.ts):
//   encode: encodeRequestHead for a typical 30-variable request (ns per request head, bytes)
//   decode: RecordDecoder over `--bytes` of STDOUT content in 64 KiB records, pushed as 64 KiB reads (GB/s),
//           and the same in 8 KiB records (what libfcgi writes)
//   fastcgiClient: the npm package fastcgi-client's codec on the same inputs, or null where it does not run
// Usage: codec.ts [--bytes N]
import process from "node:process";
import { RecordDecoder, type RecordHandlers } from "../../src/protocol/decoder.ts";
import { encodeRequestHead } from "../../src/protocol/request-head.ts";
import { compareFastcgiClient } from "./codec-fastcgi-client.ts";
import { TYPICAL_PARAMS, stdoutReads, timeDecode, timePerCall, type DecodeTiming } from "./codec-inputs.ts";
import type { CodecRow } from "./results.ts";
import { runtimeName } from "./runtime-name.ts";

const PARAMS = 4;

function benchEncode(ms: number): { nsPerHead: number; bytes: number } {
  let sink = 0;
  let requestId = 1;
  const encode = () => {
    const head = encodeRequestHead({ requestId, keepConn: true, params: TYPICAL_PARAMS });
    sink += head.length + head[head.length - 1]!;
    requestId = requestId === 0xffff ? 1 : requestId + 1;
  };
  timePerCall(encode, Math.min(300, ms)); // warm-up: let the JIT settle
  const nsPerHead = timePerCall(encode, ms);
  const bytes = encodeRequestHead({ requestId: 1, keepConn: true, params: TYPICAL_PARAMS }).length;
  if (sink === -1) console.log(sink);
  return { nsPerHead, bytes };
}

/** The content of the (single) PARAMS record after BEGIN_REQUEST in our head: the pairs alone. */
function ourPairs(): Uint8Array {
  const head = encodeRequestHead({ requestId: 1, keepConn: true, params: TYPICAL_PARAMS });
  const at = 16; // BEGIN_REQUEST: 8-byte header + 8-byte body
  if (head[at + 1] !== PARAMS) throw new Error("expected a PARAMS record after BEGIN_REQUEST");
  const length = (head[at + 4]! << 8) | head[at + 5]!;
  return head.slice(at + 8, at + 8 + length);
}

function benchDecode(totalBytes: number, recordContent: number, readSize: number): DecodeTiming {
  const { reads, contentPerPass } = stdoutReads(recordContent, readSize);
  let content = 0;
  const handlers: RecordHandlers = {
    stream: (_type, _id, data) => {
      content += data.length;
    },
    streamEnd: () => {},
    beginRequest: () => {},
    abortRequest: () => {},
    endRequest: () => {},
    management: () => {},
  };
  const decoder = new RecordDecoder(handlers);
  return timeDecode(reads, contentPerPass, totalBytes, (r) => decoder.push(r), () => {
    const n = content;
    content = 0;
    return n;
  });
}

function main(): void {
  const argv = process.argv.slice(2);
  const i = argv.indexOf("--bytes");
  const totalBytes = i >= 0 ? Number(argv[i + 1]) : 1024 ** 3;
  const result: CodecRow = {
    ...runtimeName(),
    encode: benchEncode(1000),
    decode64k: benchDecode(totalBytes, 65535, 65536),
    decode8k: benchDecode(totalBytes, 8192, 65536),
    // After ours, so that loading their code cannot disturb our JIT state.
    ...compareFastcgiClient(totalBytes, ourPairs()),
  };
  console.log(JSON.stringify(result));
}

main();

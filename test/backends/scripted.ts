// Test backend that misbehaves on purpose. The request header `X-Test` picks the behaviour (it arrives as
// the HTTP_X_TEST param); each case is one small function.
import { endRequest, streamRecords } from "../../src/protocol/encode.ts";
import { ProtocolStatus, RecordType } from "../../src/protocol/constants.ts";
import type { ResponderHandler, ResponderReply, ResponderRequest } from "../../src/fcgi-server/server.ts";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });

type Case = (req: ResponderRequest, reply: ResponderReply, arg: string) => Promise<void> | void;

const cases: Record<string, Case> = {
  /** `Status: 201 Made`, two cookies, a Location. */
  async status(_req, reply) {
    await reply.stdout("Status: 201 Made\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nLocation: /elsewhere\r\nContent-Length: 999\r\nX-Thing: yes\r\n\r\nbody");
    reply.end();
  },
  async location(_req, reply, arg) {
    await reply.stdout(`Location: ${arg || "http://example.test/next"}\n\n`);
    reply.end();
  },
  async nocontent(_req, reply, arg) {
    await reply.stdout(`Status: ${arg || "204"}\r\n\r\nthis body must be dropped`);
    reply.end();
  },
  /** Writes `n` lines, one every `ms`, each flushed as its own record. */
  async stream(req, reply, arg) {
    const [n, ms] = arg.split(":").map(Number) as [number, number];
    await reply.stdout("Content-Type: text/event-stream\r\n\r\n");
    for (let i = 0; i < n && !req.signal.aborted; i++) {
      await reply.stdout(`data: ${i} ${Date.now()}\n\n`);
      await sleep(ms, req.signal);
    }
    reply.end();
  },
  /** `arg` bytes of body, in 64 KiB records. */
  async size(_req, reply, arg) {
    let left = Number(arg);
    await reply.stdout("Content-Type: application/octet-stream\r\n\r\n");
    const block = new Uint8Array(65536).fill(0x61);
    while (left > 0) {
      const n = Math.min(left, block.length);
      await reply.stdout(block.subarray(0, n));
      left -= n;
    }
    reply.end();
  },
  async stderr(_req, reply, arg) {
    await reply.stderr(`first problem\nsecond problem\n${arg}`);
    await reply.stdout("Content-Type: text/plain\r\n\r\nok");
    reply.end();
  },
  /** Waits `arg` ms before answering. */
  async slow(req, reply, arg) {
    await sleep(Number(arg), req.signal);
    if (req.signal.aborted) return;
    await reply.stdout("Content-Type: text/plain\r\n\r\nslow");
    reply.end();
  },
  /** Sends the head, then goes quiet for `arg` ms mid-body. */
  async stall(req, reply, arg) {
    await reply.stdout("Content-Type: text/plain\r\n\r\npart one;");
    await sleep(Number(arg), req.signal);
    if (req.signal.aborted) return;
    await reply.stdout("part two");
    reply.end();
  },
  /** Head only, then waits for the gateway to abort the request. */
  async hang(req, reply) {
    await reply.stdout("Content-Type: text/plain\r\n\r\nstarted;");
    await sleep(60_000, req.signal);
    reply.end();
  },
  async badhead(_req, reply, arg) {
    const heads: Record<string, string> = {
      nocolon: "Content-Type text/plain\r\n\r\n",
      status: "Status: abc\r\n\r\n",
      info: "Status: 100 Continue\r\n\r\n",
      crlf: "X-A: a\rb\r\n\r\n",
    };
    await reply.stdout(heads[arg] ?? "broken");
    reply.end();
  },
  async bighead(_req, reply, arg) {
    await reply.stdout(`X-Big: ${"x".repeat(Number(arg))}\r\n\r\nok`);
    reply.end();
  },
  /** Closes the connection before sending anything. */
  closeearly(_req, reply) {
    reply.conn.close();
  },
  /** Closes after half a head. */
  async closemidhead(_req, reply) {
    await reply.stdout("Content-Type: te");
    reply.conn.close();
  },
  /** Closes mid-body, without END_REQUEST. */
  async closemidbody(_req, reply) {
    await reply.stdout("Content-Type: text/plain\r\n\r\nsome of the body");
    setTimeout(() => reply.conn.close(), 20);
  },
  /** END_REQUEST with a protocol status and no output. */
  endstatus(req, reply, arg) {
    const status = { overloaded: ProtocolStatus.OVERLOADED, cantmpx: ProtocolStatus.CANT_MPX_CONN, unknownrole: ProtocolStatus.UNKNOWN_ROLE, complete: ProtocolStatus.REQUEST_COMPLETE }[arg] ?? 0;
    reply.conn.write(endRequest(req.id, 0, status));
    reply.conn.shutdownWrite();
  },
  /** A record for another request id: a protocol error. */
  async wrongid(req, reply) {
    reply.conn.write(streamRecords(RecordType.STDOUT, req.id + 7, new TextEncoder().encode("X: y\r\n\r\n")));
    await reply.stdout("Content-Type: text/plain\r\n\r\nok");
    reply.end();
  },
  /** A record with version 2. */
  badversion(_req, reply) {
    reply.conn.write(Uint8Array.of(2, 6, 0, 1, 0, 0, 0, 0));
  },
  /** Answers before reading the request body. */
  async early(_req, reply) {
    await reply.stdout("Status: 403\r\nContent-Type: text/plain\r\n\r\nno thanks");
    reply.end();
  },
};

export const scriptedHandler: ResponderHandler = async (req, reply) => {
  const spec = req.params.get("HTTP_X_TEST") ?? "";
  const colon = spec.indexOf(":");
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const run = cases[name];
  if (!run) {
    await reply.stdout(`Status: 500\r\n\r\nunknown X-Test case "${name}"`);
    reply.end();
    return;
  }
  await run(req, reply, colon < 0 ? "" : spec.slice(colon + 1));
};

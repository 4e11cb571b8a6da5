// A third-party multiplexing FastCGI application: the npm package node-fastcgi (FCGI_MPXS_CONNS=1). The
// gateway learns that from FCGI_GET_VALUES and sends interleaved requests over one connection.
//
// node-fastcgi 2.0.0 needs two workarounds to keep a multiplexed connection alive; both are its bugs, not
// protocol questions (our BEGIN_REQUEST is `01 01 <id> 00 08 00 00 | 00 01 01 00 00 00 00 00`: RESPONDER with
// FCGI_KEEP_CONN, as FastCGI 1.0 §5.1 lays it out):
// 1. lib/server.js reads the flag as `record.flags & BeginRequest.flags.KEEP_CONN`, but fastcgi-stream 1.0.0
//    names the constant `KEEPCONN`. The mask is undefined, so every request counts as "close when done" and
//    the first END_REQUEST on a connection is followed by socket.end(), under the requests still running on it
//    (they fail with EPIPE or "closed before the response head"). HTTP_CONNECTION does not help: it only picks
//    the `Connection:` header node's http.ServerResponse writes into the CGI head. Workaround: give the
//    constant the name node-fastcgi looks up, on the very module instance it required.
// 2. It ends a request's FCGI_STDERR stream (an empty record) only when the request object closes, which is
//    after FCGI_END_REQUEST. A record for a request id that has ended (and may already be reused, §3.3) is one
//    the gateway refuses as a protocol error, failing every request on that connection. Workaround: the
//    handler ends the stderr stream itself before answering, so the empty STDERR record precedes END_REQUEST.
//
// The handler writes its CGI response to `req.socket`, node-fastcgi's documented raw stream ("translates writes
// to stdout FastCGI records"), not through `res.writeHead`: node-fastcgi's Response overrides the private
// http.ServerResponse#_storeHeader, which Bun's http calls after marking the head sent (removeHeader throws).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { TEST_INFO, waitFor, type TestGateway } from "../helpers/harness.ts";
import { buildGatewayConfig } from "../../src/config/gateway-config.ts";
import { parseJsonConfig } from "../../src/config/json.ts";
import { createGateway } from "../../src/adapters/embedded.ts";

interface FcgiServer {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo;
  close(cb: () => void): void;
  on(event: "connection", cb: (socket: { destroy(): void; on(e: "close", f: () => void): void }) => void): void;
}
/** node-fastcgi's per-request stream: reads FCGI_STDIN, writes FCGI_STDOUT. */
interface FcgiSocket {
  readonly errorStream: { end(): void };
  end(data: string): void;
}
interface NodeRequest { url: string; headers: Record<string, string>; socket: FcgiSocket; on(e: string, f: (d?: unknown) => void): void }

const localRequire = createRequire(import.meta.url);
const fcgi = localRequire("node-fastcgi") as {
  createServer(handler: (req: NodeRequest) => void, config?: object): FcgiServer;
};
const beginRequestFlags = (createRequire(localRequire.resolve("node-fastcgi"))("fastcgi-stream") as {
  records: { BeginRequest: { flags: Record<string, number | undefined> } };
}).records.BeginRequest.flags;

describe("node-fastcgi (third-party, multiplexing)", () => {
  let server: FcgiServer;
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let patchedKeepConn = false;
  const sockets = new Set<{ destroy(): void }>();
  let gw: TestGateway;

  before(async () => {
    if (beginRequestFlags.KEEP_CONN === undefined) { // workaround 1 (top of the file)
      beginRequestFlags.KEEP_CONN = beginRequestFlags.KEEPCONN;
      patchedKeepConn = true;
    }
    server = fcgi.createServer((req) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      let length = 0;
      req.on("data", (d) => { length += (d as Uint8Array).length; });
      req.on("end", () => {
        // Answer out of order, so demultiplexing is really tested.
        setTimeout(() => {
          inFlight--;
          req.socket.errorStream.end(); // workaround 2 (top of the file)
          const body = JSON.stringify({ url: req.url, seq: req.headers["x-seq"], length });
          req.socket.end(`Status: 200 OK\r\nContent-Type: application/json\r\n\r\n${body}`);
        }, Math.floor(Math.random() * 15));
      });
    }, { multiplex: true, maxConns: 100, maxReqs: 1000 });
    server.on("connection", (s) => {
      connections++;
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = server.address().port;
    const config = buildGatewayConfig({
      file: parseJsonConfig(JSON.stringify({ routes: [{ path: "/", target: `fcgi://127.0.0.1:${port}/srv/` }] }), "node-fastcgi.json"),
      documentRoot: "/srv",
    });
    const logs: TestGateway["logs"] = [];
    const gateway = createGateway(config, { log: (level, line) => logs.push({ level, line }) });
    gw = {
      gateway,
      logs,
      request: (path, init = {}) => gateway.fetch(new Request(`http://gw.test${path}`, { ...init, headers: { host: "gw.test", ...(init.headers as object) } }), TEST_INFO),
      close: () => gateway.close(),
    };
  });

  after(async () => {
    await gw.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    if (patchedKeepConn) delete beginRequestFlags.KEEP_CONN;
  });

  /** The gateway's error lines, to explain a failed status. */
  const errors = () => gw.logs.filter((l) => l.level !== "info").map((l) => l.line).join("\n");

  it("reports FCGI_MPXS_CONNS=1 and 100 interleaved requests share one connection, each answer matched", async () => {
    assert.equal((await gw.request("/warm")).status, 200, errors());
    await waitFor(() => gw.gateway.stats().routes[0]!.pool.multiplexing, 3000, "the GET_VALUES answer");
    const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
      const res = await gw.request(`/item/${i}?q=${i}`, { method: "POST", body: "x".repeat(i), headers: { "x-seq": String(i) } });
      return { i, status: res.status, text: await res.text() };
    }));
    for (const { i, status, text } of results) {
      assert.equal(status, 200, `request ${i}: ${text}\n${errors()}`);
      const body = JSON.parse(text) as { url: string; seq: string; length: number };
      assert.equal(body.seq, String(i));
      assert.equal(body.url, `/item/${i}?q=${i}`);
      assert.equal(body.length, i);
    }
    assert.ok(maxInFlight > 1, `the backend never had two requests at once (max ${maxInFlight})`);
    assert.equal(gw.gateway.stats().routes[0]!.pool.connects, 1);
    assert.equal(connections, 2); // that one and the probe's
  });
});

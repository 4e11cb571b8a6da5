// TLS through the library, as the README shows it: Deno.serve and Bun.serve with a certificate, serving
// gateway.fetch, give the backend HTTPS=on and REQUEST_SCHEME=https. Node terminates TLS in front for now.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createGateway, type EmbeddedGateway } from "../../src/mod.ts";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { runtime, startBackend } from "../helpers/harness.ts";
import type { ResponderServer } from "../../src/fcgi-server/server.ts";

interface Tls { cert: string; key: string }
type Get = (url: string, ca: string) => Promise<Response>;
interface Served { port: number; stop(): Promise<void> }

/** Each runtime's own TLS server and a client that trusts the test's certificate. */
const SERVERS: Partial<Record<typeof runtime, { serve(g: EmbeddedGateway, tls: Tls): Promise<Served>; get: Get }>> = {
  deno: {
    serve: (g, tls) => new Promise((resolve) => {
      const D = (globalThis as unknown as { Deno: { serve(o: object, h: unknown): { shutdown(): Promise<void> } } }).Deno;
      const server = D.serve({ hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: (a: { port: number }) => resolve({ port: a.port, stop: () => server.shutdown() }) }, g.fetch);
    }),
    get: async (url, ca) => {
      const D = (globalThis as unknown as { Deno: { createHttpClient(o: object): { close(): void } } }).Deno;
      const client = D.createHttpClient({ caCerts: [ca] });
      try {
        const res = await fetch(url, { client } as RequestInit);
        return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      } finally {
        client.close();
      }
    },
  },
  bun: {
    serve: async (g, tls) => {
      const B = (globalThis as unknown as { Bun: { serve(o: object): { port: number; stop(force?: boolean): Promise<void> } } }).Bun;
      const server = B.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: tls.cert, key: tls.key }, fetch: g.fetch });
      return { port: server.port, stop: () => server.stop(true) };
    },
    get: (url, ca) => fetch(url, { tls: { ca } } as RequestInit),
  },
};

const use = SERVERS[runtime];

describe(`TLS through the library on ${runtime}`, () => {
  let dir: string;
  let tls: Tls;
  let ca: string;
  let backend: ResponderServer & { port: number };
  before(async () => {
    if (!use) return;
    dir = await mkdtemp(`${tmpdir()}/pfcgi-tls-`);
    // A throwaway CA and a leaf for 127.0.0.1 (rustls, Deno's TLS, refuses a self-signed CA as the server's own).
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    openssl("req", "-x509", ...ec, "-days", "1", "-subj", "/CN=proxy-fcgi test CA", "-keyout", "ca.key", "-out", "ca.pem");
    openssl("req", ...ec, "-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "leaf.csr");
    await writeFile(`${dir}/leaf.ext`, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "leaf.ext", "-out", "cert.pem");
    tls = { cert: await readFile(`${dir}/cert.pem`, "utf8"), key: await readFile(`${dir}/key.pem`, "utf8") };
    ca = await readFile(`${dir}/ca.pem`, "utf8");
    backend = await startBackend(echoHandler);
  });
  after(async () => {
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("Deno.serve / Bun.serve with a certificate and gateway.fetch: the backend sees HTTPS=on", { skip: use ? false : "Node: terminate TLS in front of the gateway (README, Install and deploy)" }, async () => {
    const gateway = createGateway({ routes: [{ path: "/", target: `fcgi://127.0.0.1:${backend.port}/srv/app/` }] }, { log: () => {} });
    const server = await use!.serve(gateway, tls);
    try {
      const res = await use!.get(`https://127.0.0.1:${server.port}/secure.php?x=1`, ca);
      assert.equal(res.status, 200);
      const { params } = (await res.json()) as EchoBody;
      assert.equal(params.HTTPS, "on");
      assert.equal(params.REQUEST_SCHEME, "https");
      assert.equal(params.SERVER_PORT, String(server.port));
      assert.equal(params.REMOTE_ADDR, "127.0.0.1");
    } finally {
      await server.stop();
      await gateway.close();
    }
  });
});

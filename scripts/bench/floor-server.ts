// The floor under any proxy on a runtime: the project's own serve() adapter answering "hello" itself, with no
// backend behind it. What a proxied request costs beyond this is the gateway's work.
// Usage: floor-server.ts HOST:PORT   (Node runs an esbuild bundle of it, Deno and Bun the source)
import process from "node:process";
import { serve } from "../../src/adapters/serve.ts";

const [host, port] = (process.argv[2] ?? "127.0.0.1:0").split(":");
const HELLO = new TextEncoder().encode("hello");
const HEADERS = [["content-type", "text/plain"]] as const;
// Served the way the gateway is (serve(gateway)): Node writes the plain answer without Fetch objects, Deno and
// Bun get a Response made from it.
const server = await serve({
  fetch: async () => new Response(HELLO, { headers: HEADERS as unknown as Array<[string, string]> }),
  respond: async () => ({ status: 200, statusText: "OK", headers: HEADERS, body: HELLO }),
}, {
  host: host!,
  port: Number(port),
});
process.stderr.write(`floor server on ${server.host}:${server.port}\n`);
const stop = () => {
  server.close(1000).then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

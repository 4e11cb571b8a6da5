// The floor under any proxy on a runtime: the project's own serve() adapter answering "hello" itself, with no
// backend behind it. What a proxied request costs beyond this is the gateway's work.
// Usage: floor-server.ts HOST:PORT   (Node runs an esbuild bundle of it, Deno and Bun the source)
import process from "node:process";
import { serve } from "../../src/adapters/serve.ts";

const [host, port] = (process.argv[2] ?? "127.0.0.1:0").split(":");
const server = await serve(async () => new Response("hello", { headers: { "Content-Type": "text/plain" } }), {
  host: host!,
  port: Number(port),
});
process.stderr.write(`floor server on ${server.host}:${server.port}\n`);
const stop = () => {
  server.close(1000).then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

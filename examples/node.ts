// A gateway in a Node program, served with node:http:
//   FCGI_TARGET=fcgi://127.0.0.1:9000/srv/app/ PORT=8080 node --import tsx examples/node.ts
// From the package: import { createGateway, serve } from "proxy-fcgi";
// serve(gateway) rather than serve(gateway.fetch): Node then writes the answer without Fetch objects.
import process from "node:process";
import { createGateway, serve } from "../src/mod.ts";

const gateway = createGateway({
  "document-root": "/srv/app",
  routes: [{ path: "/", target: process.env.FCGI_TARGET ?? "fcgi://127.0.0.1:9000/srv/app/" }],
});
const server = await serve(gateway, { host: "127.0.0.1", port: Number(process.env.PORT ?? 8080) });
console.log(`listening on http://127.0.0.1:${server.port}/`);
process.once("SIGTERM", async () => {
  await server.close();
  await gateway.close();
  process.exit(0);
});

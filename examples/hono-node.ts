// node --import tsx examples/hono-node.ts   (FCGI_TARGET and PORT from the environment)
import process from "node:process";
import { serve } from "@hono/node-server";
import { app } from "./hono-app.ts";

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8080), hostname: "127.0.0.1" }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}/`);
});

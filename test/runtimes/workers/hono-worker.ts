// Hono on Workers: fastcgi() with no connector picks the cloudflare:sockets shim through runtimeConnector().
import { Hono } from "hono";
import { fastcgi, type FastcgiHandler } from "../../../src/adapters/hono.ts";

const app = new Hono<{ Bindings: { BACKEND_PORT: string } }>();
let php: FastcgiHandler | undefined;
app.all("/php/*", (c) => {
  php ??= fastcgi({ target: `fcgi://127.0.0.1:${c.env.BACKEND_PORT}/srv/hono/` });
  return php(c);
});
app.get("/", (c) => c.text("hono"));

export default app;

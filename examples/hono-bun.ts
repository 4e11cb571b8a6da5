// npx bun run examples/hono-bun.ts   (FCGI_TARGET and PORT from the environment)
import process from "node:process";
import { app } from "./hono-app.ts";

export default { port: Number(process.env.PORT ?? 8080), hostname: "127.0.0.1", fetch: app.fetch };

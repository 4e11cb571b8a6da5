// npx deno run -A examples/hono-deno.ts   (FCGI_TARGET and PORT from the environment)
import process from "node:process";
import { app } from "./hono-app.ts";

const Deno = (globalThis as unknown as { Deno: { serve(o: { port: number; hostname: string }, h: typeof app.fetch): unknown } }).Deno;
Deno.serve({ port: Number(process.env.PORT ?? 8080), hostname: "127.0.0.1" }, app.fetch);

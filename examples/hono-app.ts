// The Hono app the three hono-*.ts examples serve: PHP under /php/, anything else from Hono.
// From the package: import { fastcgi } from "proxy-fcgi/hono";
import process from "node:process";
import { Hono } from "hono";
import { fastcgi } from "../src/adapters/hono.ts";

export const app = new Hono();
app.get("/", (c) => c.text("Hono here; PHP lives under /php/\n"));
app.all("/php/*", fastcgi({ target: process.env.FCGI_TARGET ?? "fcgi://127.0.0.1:9000/srv/app/", documentRoot: "/srv/app" }));

// The fetch-handler module (`deno serve`, `bun run`, a Node import) reads and validates its configuration when
// it loads: a bad file stops the process at start with one line naming the key, not at the first request.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { runtime } from "../helpers/harness.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** How a user starts the module on this runtime (the README's commands). */
function command(port: number): string[] {
  if (runtime === "deno") return [process.execPath, "serve", "-A", "--host", "127.0.0.1", "--port", String(port), "examples/deno-serve.ts"];
  if (runtime === "bun") return [process.execPath, "run", "examples/bun-run.ts"];
  return [process.execPath, "--import", "tsx", "-e", "await import('./src/adapters/fetch-handler.ts')"];
}

function start(config: string): Promise<{ code: number | null; err: string }> {
  const [cmd, ...args] = command(0);
  const child = spawn(cmd!, args, { cwd: root, env: { ...process.env, PROXY_FCGI_CONFIG: config, PORT: "0", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stdout!.on("data", (d) => { err += d; });
  child.stderr!.on("data", (d) => { err += d; });
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve) => child.once("exit", (code) => {
    clearTimeout(timer);
    resolve({ code, err });
  }));
}

describe(`the fetch-handler module on ${runtime}`, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(`${tmpdir()}/pfcgi-fetch-`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a bad config file stops it at start, naming the key", async () => {
    const bad = `${dir}/bad.json`;
    await writeFile(bad, JSON.stringify({ routes: [{ path: "/", target: "fcgi://127.0.0.1:9000/srv/", timeout: "soon" }] }));
    const r = await start(bad);
    assert.notEqual(r.code, 0, r.err);
    assert.match(r.err, /bad\.json: routes\[0\]\.timeout: key "timeout": "soon" is not a duration/);
    assert.doesNotMatch(r.err, /listening|Listening|started/i);
  });

  it("a missing config file stops it at start, naming PROXY_FCGI_CONFIG", async () => {
    const r = await start(`${dir}/missing.json`);
    assert.notEqual(r.code, 0, r.err);
    assert.match(r.err, /missing\.json \(PROXY_FCGI_CONFIG\): cannot read the config file/);
  });
});

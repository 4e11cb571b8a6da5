// The gateway process as a user runs it, on the runtime running the tests: --help, refused flags, the demo
// that `npm start` serves with no routes, --proxy-pass, and a clean exit on SIGTERM.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { runtime, sleep, startBackend } from "../helpers/harness.ts";
import { scriptedHandler } from "../backends/scripted.ts";

const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

function command(args: string[]): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", main, ...args]];
  if (runtime === "bun") return [process.execPath, [main, ...args]];
  return [process.execPath, ["--import", "tsx", main, ...args]];
}

interface Proc { out: string; err: string; code: number | null; kill(sig: NodeJS.Signals): void; exited: Promise<number | null>; lines(re: RegExp): Promise<RegExpMatchArray> }

function run(args: string[]): Proc {
  const [cmd, argv] = command(args);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = {
    out: "",
    err: "",
    code: null,
    kill: (sig) => child.kill(sig),
    exited: new Promise((resolve) => child.on("exit", (code) => { p.code = code; resolve(code); })),
    lines: (re) => new Promise((resolve, reject) => {
      const check = () => {
        const m = p.err.match(re);
        if (m) {
          clearTimeout(timer);
          child.stderr.off("data", check);
          resolve(m);
        }
      };
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} in:\n${p.err}`)), 15_000);
      child.stderr.on("data", check);
      check();
    }),
  };
  child.stdout.on("data", (d) => { p.out += d; });
  child.stderr.on("data", (d) => { p.err += d; });
  return p;
}

describe(`the CLI on ${runtime}`, () => {
  it("--help prints usage and exits 0", async () => {
    const p = run(["--help"]);
    assert.equal(await p.exited, 0);
    assert.match(p.out, /--proxy-pass/);
    assert.match(p.out, /max-body=SIZE/);
  });

  it("a bad flag or key is refused at start-up naming it", async () => {
    const a = run(["--proxy-pass", "/ fcgi://127.0.0.1:9000/ nocanon"]);
    assert.equal(await a.exited, 2);
    assert.match(a.err, /--proxy-pass.*"nocanon"/);
    const b = run(["--colour", "blue"]);
    assert.equal(await b.exited, 2);
    assert.match(b.err, /--colour: unknown option/);
    const c = run(["--config", "/nonexistent/proxy-fcgi.json"]);
    assert.equal(await c.exited, 2);
    assert.match(c.err, /cannot read the config file/);
  });

  it("with no routes serves the demo responder, and exits cleanly on SIGTERM", async () => {
    const p = run(["--listen", "127.0.0.1:0"]);
    try {
      const [, port] = await p.lines(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      const res = await fetch(`http://127.0.0.1:${port}/hello?x=1`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /proxy-fcgi is working/);
      assert.match(html, /<th>QUERY_STRING<\/th><td>x=1<\/td>/);
      await p.lines(/req=1 method=GET uri=\/hello\?x=1 .*status=200/);
    } finally {
      p.kill("SIGTERM");
    }
    const code = await p.exited;
    assert.match(p.err, /SIGTERM: no new connections/);
    assert.match(p.err, /info stopped/);
    // Deno's child_process reports a child it sent a signal to as killed by it, even when the child exited 0
    // (run from a shell, the same process exits 0); the "stopped" line above shows the graceful path ran.
    if (runtime !== "deno") assert.equal(code, 0);
  });

  it("--proxy-pass routes to the given backend and starts no demo", async () => {
    const backend = await startBackend(echoHandler);
    const p = run(["--listen", "127.0.0.1:0", "--document-root", "/srv/www", "--proxy-pass", `/app/ fcgi://127.0.0.1:${backend.port}/srv/app/ timeout=5`]);
    try {
      const [, port] = await p.lines(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      const res = await fetch(`http://127.0.0.1:${port}/app/index.php`);
      const body = (await res.json()) as EchoBody;
      assert.equal(body.params.SCRIPT_FILENAME, `proxy:fcgi://127.0.0.1:${backend.port}/srv/app/index.php`);
      assert.equal(body.params.DOCUMENT_ROOT, "/srv/www");
      assert.doesNotMatch(p.err, /demo/);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
      await backend.close();
    }
  });

  it("SIGTERM lets in-flight requests finish before exiting", async () => {
    const backend = await startBackend(scriptedHandler);
    const p = run(["--listen", "127.0.0.1:0", "--proxy-pass", `/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      const [, port] = await p.lines(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      const pending = fetch(`http://127.0.0.1:${port}/slow.php`, { headers: { "x-test": "slow:700", connection: "close" } });
      await sleep(250);
      p.kill("SIGTERM");
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "slow");
      await p.exited;
      assert.match(p.err, /info stopped/);
    } finally {
      p.kill("SIGKILL");
      await backend.close();
    }
  });
});

// The gateway process as a user runs it, on the runtime running the tests: --help, refused flags, the demo
// that `npm start` serves with no routes, --proxy-pass, and a clean exit on SIGTERM.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { echoHandler, type EchoBody } from "../backends/echo.ts";
import { runtime, sleep, startBackend } from "../helpers/harness.ts";
import { runGateway } from "../helpers/gateway-process.ts";
import { scriptedHandler } from "../backends/scripted.ts";
import { createServer, type AddressInfo } from "node:net";
import { readFileSync } from "node:fs";

const run = runGateway;

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
      await p.lines(/req=[0-9a-f]{6}-1 client=127\.0\.0\.1 method=GET uri=\/hello\?x=1 .*status=200 .*ua=\S+/);
      // The demo runs as a supervised app: this program again, in a process of its own.
      const [, demoPid] = await p.lines(/info app demo: 1 × \S+ on \S+demo\.sock \(socket=self, pid (\d+)\)/);
      assert.notEqual(Number(demoPid), p.pid);
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

  it("SIGTERM during a long response: after --shutdown-timeout the gateway cuts it, logs it once, and exits cleanly", async () => {
    const backend = await startBackend(scriptedHandler);
    const p = run(["--listen", "127.0.0.1:0", "--shutdown-timeout", "1", "--proxy-pass", `/ fcgi://127.0.0.1:${backend.port}/srv/`]);
    try {
      const [, port] = await p.lines(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      // 100 events 200 ms apart: 20 s, far past the shutdown timeout.
      const res = await fetch(`http://127.0.0.1:${port}/events.php`, { headers: { "x-test": "stream:100:200" } });
      const reader = res.body!.getReader();
      await reader.read();
      const signalled = Date.now();
      p.kill("SIGTERM");
      let complete = true;
      try {
        while (!(await reader.read()).done);
      } catch {
        complete = false;
      }
      assert.equal(complete, false, "a cut response must not look complete");
      const code = await p.exited;
      const took = Date.now() - signalled;
      assert.ok(took >= 900 && took < 6000, `stopped ${took} ms after SIGTERM`);
      const lines = p.err.split("\n").filter((l) => l.includes("uri=/events.php"));
      assert.equal(lines.length, 1, p.err);
      assert.match(lines[0]!, / warn req=\S+ client=127\.0\.0\.1 method=GET uri=\/events\.php .*status=cut-at-shutdown .*cut by the gateway at shutdown/);
      assert.doesNotMatch(p.err, /Uncaught|BadResource|client-aborted|\n\s+at /);
      assert.match(p.err, /up to 1 s, --shutdown-timeout/);
      assert.match(p.err, /info stopped/);
      if (runtime !== "deno") assert.equal(code, 0);
    } finally {
      p.kill("SIGKILL");
      await backend.close();
    }
  });

  it("a port in use is one line naming the address, exit 2", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const p = run(["--listen", `127.0.0.1:${port}`]);
      assert.equal(await p.exited, 2);
      const lines = p.err.trim().split("\n").filter((l) => !/ info /.test(l));
      assert.deepEqual(lines, [`proxy-fcgi: --listen 127.0.0.1:${port}: address already in use (is another server, or another proxy-fcgi, listening there?)`]);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("warns at start-up about an FPM target without a path, a missing socket, and DOCUMENT_ROOT from the working directory", async () => {
    const p = run(["--listen", "127.0.0.1:0",
      "--proxy-pass", "/s/ unix:/nonexistent/proxy-fcgi-test.sock|fcgi://localhost/srv/s/",
      "--proxy-pass", "/b/ balancer://pool",
      "--balancer-member", "balancer://pool fcgi://127.0.0.1:9/srv/b/",
      "--proxy-pass", "/ fcgi://127.0.0.1:9"]);
    try {
      await p.lines(/listening on/);
      assert.match(p.err, /warn route "\/": fcgi:\/\/127\.0\.0\.1:9 has no path, so PHP-FPM gets SCRIPT_FILENAME without a directory/);
      assert.match(p.err, /warn route "\/s\/": \/nonexistent\/proxy-fcgi-test\.sock does not exist \(yet\)/);
      assert.match(p.err, /warn route "\/b\/": DOCUMENT_ROOT is the current directory /);
      assert.match(p.err, /route \/s\/ -> .*DOCUMENT_ROOT \/srv\/s\)/);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
  });

  it("--version prints the package's version; npm's swallowed flag gets a hint", async () => {
    const v = run(["--version"]);
    assert.equal(await v.exited, 0);
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(v.out, `proxy-fcgi ${pkg.version}\n`);
    const npm = run(["127.0.0.1:18028"]);
    assert.equal(await npm.exited, 2);
    assert.match(npm.err, /^proxy-fcgi: "127\.0\.0\.1:18028": unexpected argument.*npm start -- --listen/);
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

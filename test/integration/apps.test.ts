// Supervised apps (issue S) as a user runs them: the gateway process starts php-cgi on fd 0 and php-fpm on a
// socket it binds itself, restarts them, gives up on a crash loop, and leaves no process behind, also when it
// is killed with SIGKILL. On the runtime running the tests.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { makeTempDir, removeDir } from "../helpers/fixtures.ts";
import { runGateway, type GatewayProcess } from "../helpers/gateway-process.ts";
import { runtime, sleep } from "../helpers/harness.ts";
import { PHP_CGI, phpCgiMissing } from "../helpers/script-backends.ts";
import { PHP_FPM_BINARY, phpFpmMissing } from "../helpers/php-fpm.ts";

const dir = makeTempDir("apps");
// php-fpm's workers run as www-data when the tests run as root: they must reach the site.
chmodSync(dir, 0o755);
after(() => removeDir(dir));
const root = join(dir, "www");
const runtimeDirs = join(dir, "run");
/** Every app of this file carries this variable, so its processes can be found in /proc. */
const MARK = `PFCGI_APPS_TEST=${process.pid}-${Date.now()}`;

function writeSite(): void {
  const files: Record<string, string> = {
    "env.php": `<?php header("Content-Type: application/json"); echo json_encode(["secret" => getenv("SECRET"), "keep" => getenv("KEEP"), "greeting" => getenv("GREETING"), "pid" => getmypid(), "script" => $_SERVER["SCRIPT_FILENAME"], "uid" => function_exists("posix_geteuid") ? posix_geteuid() : null]);`,
    "slow.php": `<?php usleep(800000); echo "slow done";`,
  };
  mkdirSync(root, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
}
writeSite();

/** Calls `each(pid, stat fields after the name, read)` for every live (not zombie) process in /proc. */
function eachProcess(each: (pid: number, fields: string[], read: (file: string) => string) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && each(Number(name), fields, (file) => readFileSync(`/proc/${name}/${file}`, "utf8"))) out.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** Pids of live processes that carry MARK in their environment. */
const markedProcesses = () => eachProcess((_pid, _f, read) => read("environ").split("\0").includes(MARK));

/** Pids of live processes in the process groups `pgids` (an app's leader and its workers). */
const groupMembers = (pgids: readonly number[]) => eachProcess((_pid, fields) => pgids.includes(Number(fields[2])));

/** Live guard shells (children.ts) watching one of `pgids`. */
const guardsFor = (pgids: readonly number[]) => eachProcess((_pid, _f, read) => {
  const argv = read("cmdline").split("\0");
  const at = argv.indexOf("proxy-fcgi-guard");
  return at >= 0 && pgids.includes(Number(argv[at + 1]));
});

async function waitFor(what: string, test: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The gateway with `args`, its environment holding SECRET and KEEP and the apps' socket dir under ours. */
async function start(args: string[], tag: string): Promise<{ p: GatewayProcess; base: string; runDir: string }> {
  const runDir = join(runtimeDirs, tag);
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", SECRET: "s3cret", KEEP: "kept", PROXY_FCGI_RUNTIME_DIR: runDir };
  if (process.env.HOME) env.HOME = process.env.HOME;
  const p = runGateway(["--listen", "127.0.0.1:0", ...args], env);
  const [, port] = await p.lines(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
  return { p, base: `http://127.0.0.1:${port}`, runDir };
}

async function stop(p: GatewayProcess): Promise<void> {
  p.kill("SIGTERM");
  await p.exited;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  return { status: res.status, body: res.status === 200 ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** `count` requests one after another (`gapMs` apart), each a 200; the pids that answered them. */
async function sequentialPids(url: string, count: number, gapMs: number): Promise<Set<unknown>> {
  const pids = new Set<unknown>();
  for (let i = 0; i < count; i++) {
    const r = await getJson(url);
    assert.equal(r.status, 200, `request ${i}`);
    pids.add(r.body!.pid);
    if (gapMs > 0) await sleep(gapMs);
  }
  return pids;
}

describeWithBackend(`supervised php-cgi on fd 0 (${runtime})`, phpCgiMissing(), () => {
  const app = (keys: string) => ["--app", `php env=${MARK} env=GREETING=hello env-allow=KEEP ${keys} -- ${PHP_CGI}`, "--site", `/ ${root} app:php`];

  it("serves a site through app:php with a clean environment, its workers sharing the socket; a stop waits for a slow request, then nothing is left", async () => {
    const { p, base, runDir } = await start(app("children=2"), "serve");
    try {
      const first = await getJson(`${base}/env.php`);
      assert.equal(first.status, 200);
      assert.deepEqual({ secret: first.body!.secret, keep: first.body!.keep, greeting: first.body!.greeting }, { secret: false, keep: "kept", greeting: "hello" });
      assert.equal(first.body!.script, join(root, "env.php"));
      const all = await Promise.all(Array.from({ length: 16 }, () => getJson(`${base}/env.php`)));
      assert.deepEqual(all.map((r) => r.status), Array(16).fill(200));
      assert.ok(existsSync(join(runDir, "php.sock")));
      const slow = fetch(`${base}/slow.php`).then(async (r) => [r.status, await r.text()] as const);
      await sleep(200);
      const seen = markedProcesses();
      assert.ok(seen.length >= 3, `php-cgi and its two workers: ${seen}`);
      p.kill("SIGTERM");
      assert.deepEqual(await slow, [200, "slow done"]);
      await p.exited;
      assert.match(p.err, /info stopped/);
      assert.deepEqual(markedProcesses(), []);
      assert.deepEqual(guardsFor(seen), []);
      assert.equal(existsSync(runDir), false, "the apps' socket directory is removed");
      assert.doesNotMatch(p.err, /accepted a connection meant for an app|Uncaught/);
    } finally {
      p.kill("SIGKILL");
    }
  });

  // On Bun and Deno the gateway holds the socket while the successor starts, so back-to-back requests all
  // succeed; on Node nobody holds it in between, and a request sent at that instant can fail (README), so the
  // requests there are spaced out.
  it(`max-requests: php-cgi recycles itself (exit 0) and is replaced at once${runtime === "node" ? "" : ", no back-to-back request failing"}`, async () => {
    const { p, base } = await start(app("max-requests=3"), "recycle");
    try {
      const pids = await sequentialPids(`${base}/env.php`, 12, runtime === "node" ? 100 : 0);
      assert.ok(pids.size >= 3, `one process per 3 requests: ${[...pids]}`);
      await p.lines(/app php pid \d+ exited 0 \(recycled\): starting a new one/);
      assert.doesNotMatch(p.err, /restarting in/); // a recycle is not a crash
    } finally {
      await stop(p);
    }
  });

  it("children=1 max-requests: php-cgi's own worker recycles under its master, no back-to-back request failing on any runtime", async () => {
    const { p, base } = await start(app("children=1 max-requests=3"), "recycle-workers");
    try {
      const pids = await sequentialPids(`${base}/env.php`, 12, 0);
      assert.ok(pids.size >= 3, `a new worker per 3 requests: ${[...pids]}`);
      assert.doesNotMatch(p.err, /exited|restarting in/); // the master stays; php-cgi replaces its worker
    } finally {
      await stop(p);
    }
  });

  it("max-lifetime: each process is replaced new-before-old when it has run that long, no request failing", async () => {
    const { p, base } = await start(app("children=1 max-lifetime=1"), "lifetime");
    try {
      const pids = new Set<unknown>();
      let failed = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 2_600) {
        const r = await getJson(`${base}/env.php`);
        if (r.status === 200) pids.add(r.body!.pid);
        else failed++;
      }
      assert.equal(failed, 0, p.err);
      await p.lines(/app php pid \d+: max-lifetime reached, replacing it/);
      assert.ok(pids.size >= 2, `new processes answered: ${[...pids]}`);
    } finally {
      await stop(p);
    }
    assert.deepEqual(markedProcesses(), []);
  });

  it(process.getuid?.() === 0 ? "user=www-data: run as root, the gateway starts the app as that user (setpriv)" : "user= without root is a start-up error", async () => {
    if (process.getuid?.() !== 0) {
      const p = runGateway(["--listen", "127.0.0.1:0", ...app("user=www-data")], { PATH: process.env.PATH ?? "", PROXY_FCGI_RUNTIME_DIR: join(runtimeDirs, "user") });
      assert.equal(await p.exited, 2);
      assert.match(p.err, /user= and group= need the gateway to run as root/);
      return;
    }
    const { p, base } = await start(app("user=www-data"), "user");
    try {
      const r = await getJson(`${base}/env.php`);
      assert.equal(r.status, 200, p.err);
      assert.equal(r.body!.uid, 33, "Debian's www-data");
    } finally {
      await stop(p);
    }
    assert.deepEqual(markedProcesses(), []);
  });

  it("a child killed with SIGKILL is restarted; requests meanwhile end in 200 or a clean 502/503, none hangs", async () => {
    const { p, base } = await start(app(""), "crash");
    try {
      const before = await getJson(`${base}/env.php`);
      const pid = before.body!.pid as number;
      process.kill(pid, "SIGKILL");
      let after: number | undefined;
      const deadline = Date.now() + 5_000;
      while (after === undefined && Date.now() < deadline) {
        const r = await getJson(`${base}/env.php`);
        assert.ok([200, 502, 503].includes(r.status), `status ${r.status}`);
        if (r.status === 200) after = r.body!.pid as number;
        else await sleep(50);
      }
      assert.ok(after !== undefined && after !== pid, `a new php-cgi answers (was ${pid}, now ${after})`);
      await p.lines(new RegExp(`app php pid ${pid} was killed by SIGKILL: restarting in \\d+ ms`));
    } finally {
      await stop(p);
    }
  });

  it("a gateway killed with SIGKILL leaves no app process behind (the guard kills the group)", async () => {
    const { p, base } = await start(app("children=2"), "kill9");
    assert.equal((await getJson(`${base}/env.php`)).status, 200);
    const seen = markedProcesses();
    assert.ok(seen.length >= 3, `php-cgi and its two workers: ${seen}`);
    p.kill("SIGKILL");
    await p.exited;
    await waitFor("the app's processes to go", () => markedProcesses().length === 0);
    await waitFor("the guards to go", () => guardsFor(seen).length === 0);
  });

  it(runtime === "node" ? "count=2 is a start-up error on Node, naming the alternative" : "count=2: two php-cgi processes share one socket", async () => {
    if (runtime === "node") {
      const p = runGateway(["--listen", "127.0.0.1:0", ...app("count=2")], { PATH: process.env.PATH ?? "", PROXY_FCGI_RUNTIME_DIR: join(runtimeDirs, "count") });
      assert.equal(await p.exited, 2);
      assert.match(p.err, /app "php": count=2 needs a runtime that holds the socket between restarts \(Bun or Deno\); on node run one process with workers of its own \(children=N for php-cgi\)/);
      assert.deepEqual(markedProcesses(), []);
      return;
    }
    const { p, base } = await start(app("count=2"), "count");
    try {
      const pids = new Set<unknown>();
      for (let i = 0; i < 40 && pids.size < 2; i++) {
        const rs = await Promise.all(Array.from({ length: 4 }, () => getJson(`${base}/env.php`)));
        for (const r of rs) pids.add(r.body!.pid);
      }
      assert.equal(pids.size, 2, `both processes answer: ${[...pids]}`);
    } finally {
      await stop(p);
    }
  });
});

describeWithBackend(`SIGHUP reloads the apps (${runtime})`, phpCgiMissing() ?? phpFpmMissing(), () => {
  it("php-cgi is replaced new-before-old, php-fpm reloads on SIGUSR2; requests meanwhile all succeed", async () => {
    const { p, base } = await start([
      "--app", `cgi children=2 env=${MARK} -- ${PHP_CGI}`,
      "--site", `/fpm ${root} php-fpm`,
      "--site", `/ ${root} app:cgi`,
    ], "reload");
    try {
      const pids = { cgi: new Set<unknown>(), fpm: new Set<unknown>() };
      let failed = 0;
      let hup = false;
      const t0 = Date.now();
      while (Date.now() - t0 < 2_500) {
        if (!hup && Date.now() - t0 > 800) {
          // By pid: Deno's ChildProcess.kill() sends nothing after its first call, so p.kill would lose the SIGTERM.
          process.kill(p.pid, "SIGHUP");
          hup = true;
        }
        for (const [kind, path] of [["cgi", "/env.php"], ["fpm", "/fpm/env.php"]] as const) {
          const r = await getJson(`${base}${path}`);
          if (r.status === 200) pids[kind].add(r.body!.pid);
          else failed++;
        }
      }
      assert.equal(failed, 0, p.err);
      await p.lines(/app cgi: reloaded \(pid \d+\)/);
      await p.lines(/app php-fpm pid \d+: \[[^\]]+\] NOTICE: reloading: execvp/);
      assert.ok(pids.cgi.size > 2, `new php-cgi workers after the reload: ${[...pids.cgi]}`);
      assert.ok(pids.fpm.size >= 2, `new php-fpm workers after the reload: ${[...pids.fpm]}`);
    } finally {
      await stop(p);
    }
    assert.deepEqual(markedProcesses(), []);
  });
});

describe(`app start-up and crash loops (${runtime})`, () => {
  it("a crash loop marks the app failed: its routes answer 503 and the log says why", async () => {
    const { p, base } = await start(["--app", `bad env=${MARK} -- /bin/sh -c "exit 3"`, "--proxy-pass", "/ app:bad/srv/"], "loop");
    try {
      await p.lines(/app bad pid \d+ exited with code 3: \d+ crashes within 60 s, giving up; its routes answer 503/, 15_000);
      const res = await fetch(`${base}/x`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 503);
      await res.arrayBuffer();
    } finally {
      await stop(p);
    }
  });

  it("an unknown app:NAME, and a self-bound app that never listens, are start-up errors (exit 2, one line, nothing left)", async () => {
    const env = { PATH: process.env.PATH ?? "", PROXY_FCGI_RUNTIME_DIR: join(runtimeDirs, "errors") };
    const a = runGateway(["--listen", "127.0.0.1:0", "--proxy-pass", "/ app:nope/srv/"], env);
    assert.equal(await a.exited, 2);
    assert.match(a.err, /route "\/": app:nope is not defined/);
    const b = runGateway(["--listen", "127.0.0.1:0", "--app", `lazy socket=self start-timeout=1 env=${MARK} -- /bin/sleep 30`, "--proxy-pass", "/ app:lazy/"], env);
    assert.equal(await b.exited, 2);
    assert.match(b.err, /proxy-fcgi: app "lazy": \/bin\/sleep did not accept on \S+lazy\.sock within 1 s \(start-timeout\)/);
    assert.deepEqual(markedProcesses(), []);
  });
});

describeWithBackend(`supervised php-fpm binding its own socket (${runtime})`, phpFpmMissing(), () => {
  it("socket=self: php-fpm listens on {socket} from its environment, serves, and stops on SIGQUIT", async () => {
    const conf = join(dir, "fpm.conf");
    // php-fpm expands ${VAR} from its environment in its configuration.
    writeFileSync(conf, `[global]\nerror_log = ${join(dir, "fpm.log")}\ndaemonize = no\n[app]\nlisten = \${FPM_SOCKET}\npm = static\npm.max_children = 2\nclear_env = no\n`);
    const asRoot = process.getuid?.() === 0 ? " -R" : "";
    const { p, base } = await start([
      "--app", `fpm socket=self stop-signal=SIGQUIT env=FPM_SOCKET={socket} env=${MARK} -- ${PHP_FPM_BINARY} -F -n${asRoot} -y ${conf}`,
      "--site", `/ ${root} app:fpm`,
    ], "fpm");
    const r = await getJson(`${base}/env.php`);
    assert.equal(r.status, 200, p.err);
    assert.equal(r.body!.secret, false);
    // php-fpm rewrites its environment block for its process titles: find it by its process group instead.
    const master = Number((await p.lines(/app fpm: 1 × \S+ on \S+ \(socket=self, pid (\d+)\)/))[1]);
    assert.ok(groupMembers([master]).length >= 3, "php-fpm's master and two workers");
    await stop(p);
    assert.match(p.err, /info stopped/);
    assert.deepEqual(groupMembers([master]), []);
    assert.deepEqual(guardsFor([master]), []);
  });

  it('one command: --site "/ ROOT php-fpm" finds php-fpm, writes its pool, serves the site and stops it', async () => {
    const { p, base, runDir } = await start(["--site", `/ ${root} php-fpm`], "implicit");
    const r = await getJson(`${base}/env.php`);
    assert.equal(r.status, 200, p.err);
    assert.equal(r.body!.secret, false, "clear_env: the gateway's environment stays out of PHP");
    assert.equal(r.body!.script, join(root, "env.php"));
    const conf = readFileSync(join(runDir, "php-fpm-fpm.conf"), "utf8");
    assert.match(conf, /^security\.limit_extensions = \.php$/m);
    const master = Number((await p.lines(/app php-fpm: 1 × \S*php-fpm\S* on \S+ \(socket=self, pid (\d+)\)/))[1]);
    assert.match(p.err, /info app php-fpm pid \d+: \[[^\]]+\] NOTICE: ready to handle connections/);
    await stop(p);
    assert.deepEqual(groupMembers([master]), []);
    assert.equal(existsSync(runDir), false);
  });
});


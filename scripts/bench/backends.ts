// The FastCGI applications behind every proxy: the native libfcgi responder (scripts/bench/hello.c, compiled
// here into the run's temp dir) and a php-fpm pool with a hello script.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HOST, freePort, waitForPort } from "./net.ts";
import { BASE_ENV, runCommand, startProcess, type Proc } from "./procs.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const asRoot = process.getuid?.() === 0;

export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly proc: Proc;
}

export async function compileHello(cc: string, dir: string): Promise<string> {
  const binary = join(dir, "hello");
  const r = await runCommand(cc, ["-O2", "-Wall", "-pthread", "-o", binary, join(HERE, "hello.c"), "-lfcgi"], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`compiling hello.c failed:\n${r.stderr}`);
  return binary;
}

/** One hello process with `threads` threads, each serving one connection at a time (libfcgi is blocking). */
export async function startHello(name: string, binary: string, threads: number): Promise<Backend> {
  const port = await freePort();
  const proc = startProcess({ name, command: binary, args: [`${HOST}:${port}`, String(threads)] });
  await waitForPort(port, proc);
  return { name, port, proc };
}

export interface PhpBackend extends Backend {
  /** Absolute directory holding hello.php. */
  readonly docroot: string;
}

/**
 * php-fpm with `children` workers (pm = static), started without the host's php.ini (-n). `maxRequests`: each
 * child exits after that many requests (pm.max_requests), closing its connection behind its last answer.
 */
export async function startPhpFpm(binary: string, dir: string, children: number, maxRequests = 0, name = "php-fpm"): Promise<PhpBackend> {
  const docroot = join(dir, "www");
  mkdirSync(docroot, { recursive: true, mode: 0o755 });
  writeFileSync(join(docroot, "hello.php"), `<?php\necho "hello";\n`, { mode: 0o644 });
  const port = await freePort();
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, [
    "[global]",
    "daemonize = no",
    `error_log = ${join(dir, `${name}.log`)}`,
    `pid = ${join(dir, `${name}.pid`)}`,
    "[bench]",
    // php-fpm refuses to run workers as root; as another user it keeps that user.
    ...(asRoot ? ["user = www-data", "group = www-data"] : []),
    `listen = ${HOST}:${port}`,
    "listen.backlog = 1024",
    "pm = static",
    `pm.max_children = ${children}`,
    ...(maxRequests > 0 ? [`pm.max_requests = ${maxRequests}`] : []),
    "clear_env = yes",
    "",
  ].join("\n"));
  const args = ["-F", "-n", "-y", conf];
  // -n drops php.ini and with it opcache: load it again, as any production PHP has it.
  if (opcacheAvailable()) args.push("-d", "zend_extension=opcache", "-d", "opcache.enable=1");
  const proc = startProcess({ name, command: binary, args, env: BASE_ENV });
  await waitForPort(port, proc);
  return { name, port, proc, docroot };
}

function opcacheAvailable(): boolean {
  try {
    return readdirSync("/usr/lib/php").some((d) => existsSync(join("/usr/lib/php", d, "opcache.so")));
  } catch {
    return false;
  }
}

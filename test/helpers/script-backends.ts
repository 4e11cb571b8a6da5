// Real third-party FastCGI servers that serve few connections at once, as child processes on a free port:
// Perl's FCGI module (one process), php-cgi with PHP_FCGI_CHILDREN, and Ruby's fcgi library. Each is stopped
// (SIGTERM, then SIGKILL) awaiting its exit, with its children.
import process from "node:process";
import { join } from "node:path";
import { DaemonStartError, findExecutable, isReadable, onFreePort, spawnDaemon, waitUntilListening, type Daemon } from "./daemon.ts";
import { backendSourcePath, copyFixtures, makeTempDir, removeDir } from "./fixtures.ts";

export const PERL = findExecutable(["perl"]);
export const PHP_CGI = findExecutable([process.env.PHP_CGI_BIN, "php-cgi8.2", "php-cgi"]);
export const RUBY = findExecutable(["ruby"]);

/** Why the Perl FCGI backend cannot run here, or undefined. */
export function perlFcgiMissing(): string | undefined {
  if (!PERL) return "perl is not installed";
  const found = ["/usr/lib/x86_64-linux-gnu/perl5", "/usr/lib/aarch64-linux-gnu/perl5"].some((d) => {
    for (const v of ["5.36", "5.38", "5.40"]) if (isReadable(join(d, v, "FCGI.pm"))) return true;
    return false;
  });
  return found ? undefined : "Perl's FCGI module is not installed (Debian: apt-get install libfcgi-perl)";
}

export function phpCgiMissing(): string | undefined {
  return PHP_CGI ? undefined : "php-cgi8.2 is not installed (Debian: apt-get install php8.2-cgi)";
}

export function rubyFcgiMissing(): string | undefined {
  if (!RUBY) return "ruby is not installed (Debian: apt-get install ruby-fcgi)";
  return isReadable("/usr/lib/ruby/vendor_ruby/fcgi.rb") ? undefined : "Ruby's fcgi library is not installed (Debian: apt-get install ruby-fcgi)";
}

export interface ScriptBackend {
  readonly port: number;
  /** php-cgi: where test/fixtures/php was copied (no trailing slash). */
  readonly docroot: string;
  readonly daemon: Daemon;
  close(): Promise<void>;
}

/** Waits for `line` in the daemon's output (for a backend that a probe connection would kill). */
async function printed(daemon: Daemon, line: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!daemon.output().includes(line)) {
    if (daemon.exited || Date.now() > end) throw new DaemonStartError(`${daemon.name} did not print "${line}"\n${daemon.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function start(name: string, command: string | undefined, args: (port: number) => string[], env: Record<string, string> = {}, fixtures = false, ready?: string): Promise<ScriptBackend> {
  if (!command) throw new Error(`${name}: not installed`);
  const dir = makeTempDir(name);
  const docroot = fixtures ? copyFixtures("php", join(dir, "docroot")) : dir;
  try {
    return await onFreePort(async (port) => {
      const daemon = spawnDaemon({ name, command, args: args(port), cwd: dir, env: { PATH: "/usr/local/bin:/usr/bin:/bin", ...env } });
      try {
        if (ready) await printed(daemon, ready);
        else await waitUntilListening(daemon, [{ port }]);
      } catch (e) {
        await daemon.stop();
        throw e;
      }
      return { port, docroot, daemon, async close() { await daemon.stop(); removeDir(dir); } };
    });
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

/** One Perl process serving one connection at a time. */
export function startPerlFcgi(): Promise<ScriptBackend> {
  return start("perl-fcgi", PERL, (port) => [backendSourcePath("perl-fcgi.pl"), `127.0.0.1:${port}`]);
}

/** php-cgi -b with `children` children (PHP_FCGI_CHILDREN); scripts from test/fixtures/php. */
export function startPhpCgi(children: number): Promise<ScriptBackend> {
  return start("php-cgi", PHP_CGI, (port) => ["-n", "-d", "output_buffering=0", "-d", "display_errors=0", "-b", `127.0.0.1:${port}`],
    { PHP_FCGI_CHILDREN: String(children), PHP_FCGI_MAX_REQUESTS: "100000" }, true);
}

export function startRubyFcgi(): Promise<ScriptBackend> {
  return start("ruby-fcgi", RUBY, (port) => [backendSourcePath("ruby-fcgi.rb"), String(port)], {}, false, "ready");
}

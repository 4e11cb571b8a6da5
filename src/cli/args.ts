// Command-line flags → configuration sources. Identical on `node --import tsx`, `deno run -A` and `bun`.
import { BalancerSet, parseBalancerMember, parseProxySet } from "../config/balancers.ts";
import { ConfigError } from "../errors.ts";
import { parseListen, type ListenAddress } from "../config/listen.ts";
import { parseChoice, parseDuration } from "../config/values.ts";
import { parseProxyPass } from "../config/proxy-pass.ts";
import { parseSite } from "../config/site.ts";
import { parseAppFlag } from "../config/apps.ts";
import type { AppConfig } from "../apps/types.ts";
import type { RouteConfig } from "../config/types.ts";

/** The parsed command line. */
export interface CliArgs {
  help: boolean;
  version: boolean;
  /** How long in-flight requests may run after SIGTERM/SIGINT before they are cut (ms). */
  shutdownTimeoutMs: number;
  listen?: ListenAddress;
  documentRoot?: string;
  configFile?: string;
  logLevel?: "info" | "warn" | "error";
  flagRoutes: RouteConfig[];
  /** `--app` flags, in order. */
  flagApps: AppConfig[];
  flagBalancers: BalancerSet;
}

export const USAGE = `proxy-fcgi: a FastCGI gateway (like Apache's mod_proxy_fcgi) for Node, Deno and Bun

Usage:
  proxy-fcgi [--listen HOST:PORT] [--document-root DIR] [--config FILE.json]
             [--proxy-pass "/prefix/ fcgi://HOST:PORT/path/ [key=value ...]"]...
             [--site "/ /srv/app fcgi://HOST:PORT [key=value ...]"]...
             [--app "NAME [key=value ...] -- COMMAND [ARG ...]"]...
             [--balancer-member "balancer://NAME fcgi://HOST:PORT/path/ [key=value ...]"]...
             [--proxy-set "balancer://NAME key=value ..."]...
             [--shutdown-timeout SECONDS] [--log-level LEVEL]

Options:
  --listen HOST:PORT       where to serve HTTP (default 127.0.0.1:8080)
  --document-root DIR      DOCUMENT_ROOT sent to backends (default: the route's document-root key,
                           else the target's path, else the current directory)
  --config FILE.json       routes and settings in JSON (same keys as --proxy-pass)
  --log-level LEVEL        info (default: a line per request), warn or error
  --shutdown-timeout SECONDS
                           after SIGTERM/SIGINT, how long in-flight requests may finish before they
                           are cut (default 10)
  --proxy-pass "PATH TARGET [key=value ...]"
                           a route, in Apache ProxyPass syntax; repeatable, first match wins.
                           TARGET: fcgi://host[:port]/path (default port 8000)
                                   unix:/path/to.sock|fcgi://localhost/path
                           keys: timeout=SECONDS connectiontimeout=SECONDS|MSms (a bare number is seconds)
                                 backend-type=FPM|GENERIC path-info=none|first-dot|last-dot|unescape|full
                                 document-root=DIR pass-authorization=on|off
                                 request-buffering=spool|stream max-body=SIZE[k|m|g]
                           pool keys: enablereuse=on|off disablereuse=on|off max=N smax=N ttl=SECONDS
                                 acquire=MILLISECONDS (not seconds, as in Apache; or 2s) mpx-max=N
                                 retry=SECONDS get-values=on|off starve-after=SECONDS
                                 flushpackets= flushwait= (no-ops)
                           TARGET may also be balancer://NAME (then no pool keys on the route)
                           or app:NAME/path (an --app)
  --site "URL-PATH ROOT BACKEND [key=value ...]"
                           a PHP site: static files from ROOT, scripts (.php) to BACKEND
                           (fcgi://host:port, unix:/path|fcgi://localhost, balancer://NAME, app:NAME,
                           php-fpm to start one for it, or none for static files only); repeatable, shares the first-match order with
                           --proxy-pass. The route keys apply, and the site keys:
                                 try-files={path},{path}/index.php,/index.php (last: fallback or =CODE)
                                 index=index.php,index.html|off split=.php hide=GLOB,...
                                 alias=URL-PREFIX:DIR precompressed=on|off expires=GLOB:AGE,...
  --app "NAME [key=value ...] -- COMMAND [ARG ...]"
                           start and supervise a FastCGI application; a route, site or member names
                           it as app:NAME[/path] in place of fcgi://HOST:PORT. It listens on a private
                           Unix socket (PROXY_FCGI_RUNTIME_DIR or $TMPDIR/proxy-fcgi-PID, /NAME.sock).
                           keys: socket=fd0|self (fd0: the socket is its fd 0; self: it binds {socket}
                                 given in its arguments or env=) count=N (fd0 children sharing it)
                                 env=NAME=VALUE env-allow=NAME,... cwd=DIR stop-signal=SIGTERM|SIGQUIT|...
                                 stop-timeout=SECONDS (10) start-timeout=SECONDS (10)
                                 max-requests=N (PHP_FCGI_MAX_REQUESTS) children=N (PHP_FCGI_CHILDREN)
                                 max-lifetime=SECONDS (fd0: replace each process after that long)
                                 mode=0600 (the socket file's mode)
                                 kind=php-fpm (no command needed: php-fpm with a pool the gateway
                                 writes; children=N is pm.max_children; user= group= as root)
  --balancer-member "balancer://NAME URL [key=value ...]"
                           a member of balancer NAME, in Apache BalancerMember syntax; repeatable
                           keys: the pool keys, loadfactor=1..100 route=NAME redirect=ROUTE
                                 status=[+-]DSIHREN lbset=0..99 retry=SECONDS
                                 hcmethod=NONE|TCP|FCGI hcuri=/ping hcexpect="200 pong"
                                 hcinterval=SECONDS hcpasses=N hcfails=N
  --proxy-set "balancer://NAME key=value ..."
                           balancer keys (Apache ProxySet): lbmethod=byrequests|bybusyness|bytraffic
                                 stickysession=NAME[|PARAM] stickysessionsep=C nofailover=on|off
                                 forcerecovery=on|off maxattempts=N failonstatus=503,500 scolonpathdelim=on|off
  --version                the version
  --help                   this text

With no route at all, a built-in demo FastCGI responder is started and served at /.
`;

const VALUE_FLAGS = new Set(["--log-level", "--listen", "--document-root", "--config", "--proxy-pass", "--site", "--app", "--balancer-member", "--proxy-set", "--shutdown-timeout"]);
const BARE_FLAGS = ["--help", "--version"];

/** The default of `--shutdown-timeout`, in ms. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Flags → CliArgs; throws a ConfigError naming the flag. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { help: false, version: false, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS, flagRoutes: [], flagBalancers: new BalancerSet(), flagApps: [] };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]!;
    let value: string | undefined;
    const eq = flag.indexOf("=");
    if (flag.startsWith("--") && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    if (flag === "--help" || flag === "-h") {
      out.help = true;
      continue;
    }
    if (flag === "--version" || flag === "-v") {
      out.version = true;
      continue;
    }
    if (!flag.startsWith("-")) {
      // `npm start --listen X` hands npm the flag and us only its value.
      throw new ConfigError(JSON.stringify(flag), "unexpected argument: flags start with --" +
        " (under npm, put them after --: npm start -- --listen 127.0.0.1:8080)");
    }
    if (!VALUE_FLAGS.has(flag)) {
      const near = closest(flag, [...VALUE_FLAGS, ...BARE_FLAGS]);
      throw new ConfigError(flag, `unknown option${near ? ` (did you mean ${near}?)` : ""} (see --help)`);
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ConfigError(flag, "needs a value");
    }
    switch (flag) {
      case "--listen":
        try {
          out.listen = parseListen(value);
        } catch (problem) {
          throw ConfigError.at(flag, problem);
        }
        break;
      case "--document-root":
        if (!value.startsWith("/")) throw new ConfigError(flag, `"${value}" must be an absolute path`);
        out.documentRoot = value;
        break;
      case "--config":
        out.configFile = value;
        break;
      case "--shutdown-timeout":
        try {
          out.shutdownTimeoutMs = value.trim() === "0" ? 0 : parseDuration(value, "s");
        } catch (problem) {
          throw ConfigError.at(flag, problem);
        }
        break;
      case "--log-level":
        try {
          out.logLevel = parseChoice(value, ["info", "warn", "error"] as const);
        } catch (problem) {
          throw ConfigError.at(flag, problem);
        }
        break;
      case "--proxy-pass":
        out.flagRoutes.push(parseProxyPass(value));
        break;
      case "--site":
        out.flagRoutes.push(parseSite(value));
        break;
      case "--app":
        out.flagApps.push(parseAppFlag(value));
        break;
      case "--balancer-member":
        parseBalancerMember(value, out.flagBalancers);
        break;
      case "--proxy-set":
        parseProxySet(value, out.flagBalancers);
        break;
    }
  }
  return out;
}

/** The known flag nearest to a mistyped one (edit distance at most a third of its length), if any. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

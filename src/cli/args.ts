// Command-line flags → configuration sources. Identical on `node --import tsx`, `deno run -A` and `bun`.
import { BalancerSet, parseBalancerMember, parseProxySet } from "../config/balancers.ts";
import { ConfigError } from "../config/errors.ts";
import { parseListen, type ListenAddress } from "../config/listen.ts";
import { parseChoice } from "../config/values.ts";
import { parseProxyPass } from "../config/proxy-pass.ts";
import type { RouteConfig } from "../config/types.ts";

export interface CliArgs {
  help: boolean;
  listen?: ListenAddress;
  documentRoot?: string;
  configFile?: string;
  logLevel?: "info" | "warn" | "error";
  flagRoutes: RouteConfig[];
  flagBalancers: BalancerSet;
}

export const USAGE = `proxy-fcgi: a FastCGI gateway (like Apache's mod_proxy_fcgi) for Node, Deno and Bun

Usage:
  proxy-fcgi [--listen HOST:PORT] [--document-root DIR] [--config FILE.json]
             [--proxy-pass "/prefix/ fcgi://HOST:PORT/path/ [key=value ...]"]...
             [--balancer-member "balancer://NAME fcgi://HOST:PORT/path/ [key=value ...]"]...
             [--proxy-set "balancer://NAME key=value ..."]...

Options:
  --listen HOST:PORT       where to serve HTTP (default 127.0.0.1:8080)
  --document-root DIR      DOCUMENT_ROOT sent to backends (default: the current directory)
  --config FILE.json       routes and settings in JSON (same keys as --proxy-pass)
  --log-level LEVEL        info (default: a line per request), warn or error
  --proxy-pass "PATH TARGET [key=value ...]"
                           a route, in Apache ProxyPass syntax; repeatable, first match wins.
                           TARGET: fcgi://host[:port]/path (default port 8000)
                                   unix:/path/to.sock|fcgi://localhost/path
                           keys: timeout=SECONDS connectiontimeout=SECONDS|MSms
                                 backend-type=FPM|GENERIC path-info=none|first-dot|last-dot|unescape|full
                                 document-root=DIR pass-authorization=on|off
                                 request-buffering=spool|stream max-body=SIZE[k|m|g]
                           pool keys: enablereuse=on|off disablereuse=on|off max=N smax=N ttl=SECONDS
                                 acquire=MS mpx-max=N retry=SECONDS flushpackets= flushwait= (no-ops)
                           TARGET may also be balancer://NAME (then no pool keys on the route)
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
  --help                   this text

With no route at all, a built-in demo FastCGI responder is started and served at /.
`;

const VALUE_FLAGS = new Set(["--log-level", "--listen", "--document-root", "--config", "--proxy-pass", "--balancer-member", "--proxy-set"]);

export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { help: false, flagRoutes: [], flagBalancers: new BalancerSet() };
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
    if (!VALUE_FLAGS.has(flag)) throw new ConfigError(flag, `unknown option (see --help)`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ConfigError(flag, "needs a value");
    }
    switch (flag) {
      case "--listen":
        try {
          out.listen = parseListen(value);
        } catch (problem) {
          throw new ConfigError(flag, String(problem));
        }
        break;
      case "--document-root":
        if (!value.startsWith("/")) throw new ConfigError(flag, `"${value}" must be an absolute path`);
        out.documentRoot = value;
        break;
      case "--config":
        out.configFile = value;
        break;
      case "--log-level":
        try {
          out.logLevel = parseChoice(value, ["info", "warn", "error"] as const);
        } catch (problem) {
          throw new ConfigError(flag, String(problem));
        }
        break;
      case "--proxy-pass":
        out.flagRoutes.push(parseProxyPass(value));
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

// WordPress's front page through nginx and through proxy-fcgi on each runtime, all in front of ONE PHP-FPM
// pool and one MariaDB (test/helpers/wordpress.ts starts both, as the WordPress tests do). Only this scenario
// needs them, so it starts its own proxies and stops everything before the next scenario. Apache is left out:
// WordPress's Apache setup is mod_rewrite's .htaccess, a configuration of its own that issue M imports.
import { readFileSync } from "node:fs";
import { startWordPress } from "../../../test/helpers/wordpress.ts";
import { installWordPress, WORDPRESS_SITE } from "../../../test/helpers/wordpress-scenario.ts";
import { HOST, httpGet } from "../net.ts";
import type { BenchOptions } from "../options.ts";
import type { Tools } from "../prereqs.ts";
import { startGateway, type GatewayRuntime } from "../proxy/gateway.ts";
import { startNginxWordPress, type WordPressSite } from "../proxy/nginx.ts";
import type { ProxyContext, RunningProxy } from "../proxy/types.ts";
import type { WrkScenarioResult } from "../results.ts";
import { runWrkScenario, say } from "./wrk-scenario.ts";

export interface WordPressRun {
  readonly result: WrkScenarioResult;
  /** Problems found by the start-up check (a page that is not WordPress's front page), for the notes. */
  readonly problems: readonly string[];
  /** Configuration files, by title, for BENCHMARKS.md. */
  readonly configs: Record<string, string>;
}

export async function runWordPress(
  runtimes: readonly GatewayRuntime[],
  withNginx: boolean,
  tools: Tools,
  root: string,
  ctx: ProxyContext,
  nodeBundle: string,
  opts: BenchOptions,
): Promise<WordPressRun> {
  const conns = opts.phpConns;
  // Idle pooled connections pin a PHP-FPM worker each: every proxy's full share, plus one share to spare.
  const children = (runtimes.length + (withNginx ? 1 : 0) + 1) * conns;
  say(`wordpress: starting MariaDB and PHP-FPM (${children} workers)`);
  const wp = await startWordPress({ children });
  const proxies: RunningProxy[] = [];
  try {
    const site: WordPressSite = { root: wp.root, fpmSocket: wp.fpmSocket, conns, accessLog: ctx.accessLog };
    if (withNginx) proxies.push(await startNginxWordPress(tools.nginx, ctx.dir, site));
    const siteArgs = ["--site", `/ ${wp.root} unix:${wp.fpmSocket}|fcgi://localhost max=${conns} smax=${conns}`];
    for (const r of runtimes) proxies.push(await startGateway(r, tools, root, ctx, nodeBundle, opts.bundleForAll, siteArgs, `proxy-fcgi-${r}-wordpress`));

    const installed = await installWordPress(`http://${HOST}:${proxies[0]!.port}`);
    if (!installed.success) throw new Error(`wordpress: the install failed (status ${installed.result.status})\n${wp.log()}`);
    const problems: string[] = [];
    for (const p of proxies) {
      const page = await httpGet(p.port, "/");
      if (page.status !== 200 || !page.body.includes(WORDPRESS_SITE.title)) {
        problems.push(`${p.label}: WordPress front page: status ${page.status}, ${page.body.length} bytes`);
      }
    }
    for (const p of proxies) p.errors(); // count errors from here on
    const result = await runWrkScenario(
      { id: "wordpress", title: "WordPress front page (PHP-FPM, MariaDB)", method: "GET", path: "/", connections: conns },
      proxies,
      opts,
      tools.wrk,
    );
    const configs: Record<string, string> = {};
    const nginx = proxies.find((p) => p.id === "nginx");
    if (nginx?.configFile) configs[`nginx (wordpress scenario): ${nginx.configFile.slice(ctx.dir.length + 1)}`] = readFileSync(nginx.configFile, "utf8");
    return { result, problems, configs };
  } finally {
    for (const p of proxies) await p.proc.stop();
    await wp.close();
  }
}


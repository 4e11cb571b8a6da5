// A real WordPress behind proxy-fcgi alone, in front of PHP-FPM and MariaDB: the scenario of
// test/helpers/wordpress-steps.ts (install, log in, pretty permalinks, upload, post, dashboard, Chromium)
// through a --site on this runtime's own server; and every static subresource the browser loaded was sent by
// the gateway itself, never by PHP. A screenshot per runtime is kept in test-artifacts/.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { browserMissing, type BrowserPage } from "../helpers/browser.ts";
import { runtime, serveGateway, testSite, type TestGateway } from "../helpers/harness.ts";
import { startWordPress, wordPressMissing, type WordPress } from "../helpers/wordpress.ts";
import { StepTimer, wordPressSteps } from "../helpers/wordpress-steps.ts";
import type { RunningServer } from "../../src/adapters/types.ts";

const ARTIFACTS = fileURLToPath(new URL(`../../test-artifacts/wordpress-${runtime}/`, import.meta.url));
/** Extensions WordPress's pages load as files; none of them may have gone to PHP-FPM. */
const STATIC = /\.(?:css|js|png|jpe?g|gif|svg|webp|woff2?|ttf|ico)$/;

describeWithBackend(`WordPress behind proxy-fcgi alone (${runtime})`, wordPressMissing() ?? browserMissing(), () => {
  let wp: WordPress;
  let gw: TestGateway;
  let server: RunningServer & { url: string };
  const timer = new StepTimer();
  const timed = timer.timed;
  const pages: BrowserPage[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    wp = await timed("start MariaDB, copy WordPress, start PHP-FPM", () => startWordPress());
    gw = testSite([`/ ${wp.root} unix:${wp.fpmSocket}|fcgi://localhost timeout=60`]);
    server = await serveGateway(gw.gateway);
  });

  after(async () => {
    await server?.close();
    await gw?.close();
    await wp?.close();
    timer.print(`WordPress behind proxy-fcgi (${runtime})`);
  });

  wordPressSteps({
    base: () => server.url,
    shots: () => ARTIFACTS,
    timed,
    diagnostics: () => `\n${wp?.log() ?? ""}\n--- gateway ---\n${gw.logs.slice(-30).map((l) => l.line).join("\n")}`,
    onPages: (p) => void pages.push(...p),
  });

  it("sent every static subresource itself (none went to PHP-FPM)", () => {
    const lines = gw.logs.map((l) => l.line);
    const statics = new Set<string>();
    for (const page of pages) {
      for (const r of page.resources) {
        const url = new URL(r.url);
        if (url.origin === server.url && STATIC.test(url.pathname)) statics.add(url.pathname + url.search);
      }
    }
    assert.ok(statics.size > 10, `only ${statics.size} static subresources seen`);
    for (const uri of statics) {
      const line = lines.find((l) => l.includes(` uri=${uri} `) || l.includes(` uri=${JSON.stringify(uri)} `));
      assert.ok(line !== undefined, `no access line for ${uri}`);
      assert.match(line, /backend=static /, `${uri} was not sent by the gateway: ${line}`);
    }
  });
});

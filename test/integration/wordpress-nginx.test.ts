// The WordPress scenario against nginx and the same PHP-FPM: the reference that proves the harness
// (wordpress.ts, wordpress-scenario.ts, browser.ts) right before the gateway is measured with it. Once, under
// Node only: nginx does not depend on the runtime that drives it.
import { after, before, describe, it } from "node:test";
import { mkdirSync } from "node:fs";
import process from "node:process";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { browserMissing } from "../helpers/browser.ts";
import { makeTempDir, removeDir } from "../helpers/fixtures.ts";
import { runtime } from "../helpers/harness.ts";
import { nginxMissing, startNginxWordPress, type NginxWordPress } from "../helpers/nginx-wordpress.ts";
import { startWordPress, wordPressMissing, type WordPress } from "../helpers/wordpress.ts";
import { StepTimer, wordPressSteps } from "../helpers/wordpress-steps.ts";

const NAME = "WordPress behind nginx (reference for the site tests)";

if (runtime !== "node") {
  describe(NAME, () => {
    const reason = "runs under Node only: nginx is the same whatever runtime drives it";
    it(`skipped: ${reason}`, { skip: reason }, () => {});
  });
} else {
  describeWithBackend(NAME, wordPressMissing() ?? nginxMissing() ?? browserMissing(), () => {
    let wp: WordPress;
    let nginx: NginxWordPress;
    let base: string;
    // WORDPRESS_SCREENSHOTS=<dir> keeps the screenshots; otherwise they go with a temp dir.
    const keep = process.env.WORDPRESS_SCREENSHOTS;
    let shots: string;
    const timer = new StepTimer();
    const timed = timer.timed;
    const diagnostics = () => `\n${wp?.log() ?? ""}\n--- nginx error.log ---\n${nginx?.errorLog() ?? ""}`;

    before(async () => {
      shots = keep ?? makeTempDir("wp-shots");
      mkdirSync(shots, { recursive: true });
      wp = await timed("start MariaDB, copy WordPress, start PHP-FPM", () => startWordPress());
      nginx = await timed("start nginx", () => startNginxWordPress(wp));
      base = nginx.url;
    });

    after(async () => {
      await nginx?.close();
      await wp?.close();
      if (!keep && shots) removeDir(shots);
      timer.print(NAME);
    });

    wordPressSteps({ base: () => base, shots: () => shots, timed, diagnostics });
  });
}

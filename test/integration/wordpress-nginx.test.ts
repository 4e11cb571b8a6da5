// The WordPress scenario against nginx and the same PHP-FPM: the reference that proves the harness
// (wordpress.ts, wordpress-scenario.ts, browser.ts) right before the gateway is measured with it. Once, under
// Node only: nginx does not depend on the runtime that drives it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { describeWithBackend } from "../helpers/backend-suite.ts";
import { browserCheck, browserMissing, browserProblems } from "../helpers/browser.ts";
import { makeTempDir, removeDir } from "../helpers/fixtures.ts";
import { runtime } from "../helpers/harness.ts";
import { nginxMissing, startNginxWordPress, type NginxWordPress } from "../helpers/nginx-wordpress.ts";
import { startWordPress, wordPressMissing, type WordPress } from "../helpers/wordpress.ts";
import {
  createPost,
  installWordPress,
  logIn,
  openDashboard,
  setPrettyPermalinks,
  uploadImage,
  viewPost,
  WORDPRESS_SITE,
  type CookieJar,
  type PostResult,
  type UploadResult,
} from "../helpers/wordpress-scenario.ts";

const NAME = "WordPress behind nginx (reference for the site tests)";
const POST_TITLE = "Hello from proxy-fcgi";
const POST_MARKER = "proxy-fcgi-post-body";

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
    let jar: CookieJar;
    let upload: UploadResult;
    let post: PostResult;
    // WORDPRESS_SCREENSHOTS=<dir> keeps the screenshots; otherwise they go with a temp dir.
    const keep = process.env.WORDPRESS_SCREENSHOTS;
    let shots: string;
    const timings: Array<[string, number]> = [];
    const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
      const start = Date.now();
      try {
        return await fn();
      } finally {
        timings.push([step, Date.now() - start]);
      }
    };
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
      const total = timings.reduce((n, [, ms]) => n + ms, 0);
      console.log(`${NAME}, time per step:\n${timings.map(([s, ms]) => `  ${String(ms).padStart(6)} ms  ${s}`).join("\n")}\n  ${String(total).padStart(6)} ms  total`);
    });

    it("installs through wp-admin/install.php", async () => {
      const r = await timed("install", () => installWordPress(base));
      // Not installed yet, WordPress sends every page to the installer, on the port it was asked on.
      assert.equal(r.before.status, 302);
      assert.equal(r.before.location, `${base}/wp-admin/install.php`);
      assert.equal(r.form.status, 200);
      assert.match(r.form.title, /Installation/);
      assert.ok(r.success, `install failed: ${r.result.status} ${r.result.html.slice(0, 800)}${diagnostics()}`);
    });

    it("logs in through wp-login.php", async () => {
      jar = await timed("log in", () => logIn(base));
      assert.ok(jar.has("wordpress_logged_in_"), `cookies: ${jar.names().join(", ")}`);
    });

    it("saves pretty permalinks", async () => {
      const r = await timed("pretty permalinks", () => setPrettyPermalinks(base, jar));
      assert.equal(r.status, 200);
      assert.equal(r.structure, "/%postname%/");
      assert.equal(r.message, "Permalink structure updated.");
    });

    it("uploads a PNG through async-upload.php and serves it", async () => {
      upload = await timed("upload an image", () => uploadImage(base, jar));
      assert.equal(upload.mime, "image/png");
      assert.ok(upload.url.startsWith(`${base}/wp-content/uploads/`), upload.url);
      const res = await timed("fetch the upload", () => fetch(upload.url));
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.deepEqual(bytes, upload.png);
    });

    it("publishes a post through the REST API", async () => {
      // A root-relative src: the same post then shows its image behind any base URL.
      const src = new URL(upload.url).pathname;
      const content = `<!-- wp:paragraph --><p class="${POST_MARKER}">Written by the test.</p><!-- /wp:paragraph -->` +
        `<!-- wp:image --><figure class="wp-block-image"><img src="${src}" alt="gradient"/></figure><!-- /wp:image -->`;
      post = await timed("create a post", () => createPost(base, jar, POST_TITLE, content));
      assert.equal(post.status, 201);
      assert.equal(post.link, `${base}/hello-from-proxy-fcgi/`);
    });

    it("serves the post at its pretty permalink, and WordPress's 404 page for an unknown path", async () => {
      const page = await timed("view the post", () => viewPost(post.link));
      assert.equal(page.status, 200);
      assert.equal(page.title, `${POST_TITLE} – ${WORDPRESS_SITE.title}`);
      assert.ok(page.html.includes(POST_MARKER));
      const missing = await timed("view an unknown path", () => viewPost(`${base}/no-such-page/`));
      assert.equal(missing.status, 404);
      assert.match(missing.title, /^Page not found/);
    });

    it("opens the dashboard", async () => {
      const page = await timed("open the dashboard", () => openDashboard(base, jar));
      assert.equal(page.status, 200);
      assert.equal(page.title, `Dashboard ‹ ${WORDPRESS_SITE.title} — WordPress`);
    });

    it("loads the front page and the post in a browser, as a visitor", async () => {
      const pages = await timed("browser: front page and post, visitor", () =>
        browserCheck({ urls: [`${base}/`, post.link], screenshot: join(shots, "visitor.png") }));
      assert.deepEqual(browserProblems(pages), []);
      assert.deepEqual(pages.map((p) => p.blocked), [[], []], "a visitor's pages link nothing outside the site");
      const [front, postPage] = pages;
      assert.equal(front!.title, WORDPRESS_SITE.title);
      assert.ok(front!.resources.some((r) => r.resourceType === "script"), "the front page loads scripts");
      const image = postPage!.resources.find((r) => r.url === upload.url);
      assert.equal(image?.status, 200, `the post's image: ${JSON.stringify(postPage!.resources)}`);
      assert.equal(image?.contentType, "image/png");
    });

    it("loads the front page and the dashboard in a browser, logged in", async () => {
      const pages = await timed("browser: front page and dashboard, logged in", () =>
        browserCheck({ urls: [`${base}/`, `${base}/wp-admin/`], cookies: jar.toBrowserCookies(base), screenshot: join(shots, "admin.png") }));
      assert.deepEqual(browserProblems(pages), []);
      const [front, dashboard] = pages;
      // Logged in, the front page has the admin bar: its stylesheet proves the cookies reached the server.
      assert.ok(front!.resources.some((r) => r.url.includes("/wp-includes/css/admin-bar")), JSON.stringify(front!.resources));
      assert.equal(dashboard!.finalUrl, `${base}/wp-admin/`);
      assert.equal(dashboard!.title, `Dashboard ‹ ${WORDPRESS_SITE.title} — WordPress`);
      // load-scripts.php / load-styles.php (PHP-concatenated assets), plain files and admin-ajax calls.
      const kinds = new Set(dashboard!.resources.map((r) => r.resourceType));
      for (const kind of ["stylesheet", "script", "xhr"]) assert.ok(kinds.has(kind), `no ${kind} on the dashboard`);
      assert.ok(dashboard!.resources.length > 20, `only ${dashboard!.resources.length} subresources`);
    });
  });
}

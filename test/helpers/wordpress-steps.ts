// The WordPress scenario as test steps, shared by the nginx reference and the gateway's own test: install,
// log in, pretty permalinks, an upload, a post, its permalink, the dashboard, and Chromium on the front page
// and the dashboard (every same-origin subresource 2xx/3xx). `ctx` gives the base URL once the server runs.
import { it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { browserCheck, browserProblems, type BrowserPage } from "./browser.ts";
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
} from "./wordpress-scenario.ts";

/** What the steps need from the test that runs them. */
export interface WordPressStepsContext {
  /** The server's base URL (set in the test's before()). */
  base(): string;
  /** Where screenshots go. */
  shots(): string;
  /** Runs and times one step. */
  timed<T>(step: string, fn: () => Promise<T>): Promise<T>;
  /** Extra text for a failure message (the server's logs). */
  diagnostics(): string;
  /** Called with the browser's pages of each browser step, for checks of the server under test. */
  onPages?(pages: readonly BrowserPage[]): void;
}

const POST_TITLE = "Hello from proxy-fcgi";
const POST_MARKER = "proxy-fcgi-post-body";

/** Registers the scenario's it() steps, in order, inside the caller's describe(). */
export function wordPressSteps(ctx: WordPressStepsContext): void {
  let jar: CookieJar;
  let upload: UploadResult;
  let post: PostResult;
  const { timed } = ctx;

  it("installs through wp-admin/install.php", async () => {
    const r = await timed("install", () => installWordPress(ctx.base()));
    // Not installed yet, WordPress sends every page to the installer, on the port it was asked on.
    assert.equal(r.before.status, 302);
    assert.equal(r.before.location, `${ctx.base()}/wp-admin/install.php`);
    assert.equal(r.form.status, 200);
    assert.match(r.form.title, /Installation/);
    assert.ok(r.success, `install failed: ${r.result.status} ${r.result.html.slice(0, 800)}${ctx.diagnostics()}`);
  });

  it("logs in through wp-login.php", async () => {
    jar = await timed("log in", () => logIn(ctx.base()));
    assert.ok(jar.has("wordpress_logged_in_"), `cookies: ${jar.names().join(", ")}`);
  });

  it("saves pretty permalinks", async () => {
    const r = await timed("pretty permalinks", () => setPrettyPermalinks(ctx.base(), jar));
    assert.equal(r.status, 200);
    assert.equal(r.structure, "/%postname%/");
    assert.equal(r.message, "Permalink structure updated.");
  });

  it("uploads a PNG through async-upload.php and serves it", async () => {
    upload = await timed("upload an image", () => uploadImage(ctx.base(), jar));
    assert.equal(upload.mime, "image/png");
    assert.ok(upload.url.startsWith(`${ctx.base()}/wp-content/uploads/`), upload.url);
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
    post = await timed("create a post", () => createPost(ctx.base(), jar, POST_TITLE, content));
    assert.equal(post.status, 201);
    assert.equal(post.link, `${ctx.base()}/hello-from-proxy-fcgi/`);
  });

  it("serves the post at its pretty permalink, and WordPress's 404 page for an unknown path", async () => {
    const page = await timed("view the post", () => viewPost(post.link));
    assert.equal(page.status, 200);
    assert.equal(page.title, `${POST_TITLE} – ${WORDPRESS_SITE.title}`);
    assert.ok(page.html.includes(POST_MARKER));
    const missing = await timed("view an unknown path", () => viewPost(`${ctx.base()}/no-such-page/`));
    assert.equal(missing.status, 404);
    assert.match(missing.title, /^Page not found/);
  });

  it("opens the dashboard", async () => {
    const page = await timed("open the dashboard", () => openDashboard(ctx.base(), jar));
    assert.equal(page.status, 200);
    assert.equal(page.title, `Dashboard ‹ ${WORDPRESS_SITE.title} — WordPress`);
  });

  it("loads the front page and the post in a browser, as a visitor", async () => {
    const pages = await timed("browser: front page and post, visitor", () =>
      browserCheck({ urls: [`${ctx.base()}/`, post.link], screenshot: join(ctx.shots(), "visitor.png") }));
    assert.deepEqual(browserProblems(pages), []);
    ctx.onPages?.(pages);
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
      browserCheck({ urls: [`${ctx.base()}/`, `${ctx.base()}/wp-admin/`], cookies: jar.toBrowserCookies(ctx.base()), screenshot: join(ctx.shots(), "admin.png") }));
    assert.deepEqual(browserProblems(pages), []);
    ctx.onPages?.(pages);
    const [front, dashboard] = pages;
    // Logged in, the front page has the admin bar: its stylesheet proves the cookies reached the server.
    assert.ok(front!.resources.some((r) => r.url.includes("/wp-includes/css/admin-bar")), JSON.stringify(front!.resources));
    assert.equal(dashboard!.finalUrl, `${ctx.base()}/wp-admin/`);
    assert.equal(dashboard!.title, `Dashboard ‹ ${WORDPRESS_SITE.title} — WordPress`);
    // load-scripts.php / load-styles.php (PHP-concatenated assets), plain files and admin-ajax calls.
    const kinds = new Set(dashboard!.resources.map((r) => r.resourceType));
    for (const kind of ["stylesheet", "script", "xhr"]) assert.ok(kinds.has(kind), `no ${kind} on the dashboard`);
    assert.ok(dashboard!.resources.length > 20, `only ${dashboard!.resources.length} subresources`);
  });
}

/** Times named steps and prints them, with their total, as one block. */
export class StepTimer {
  readonly #timings: Array<[string, number]> = [];

  /** Runs `fn` as step `step`, recording its wall time even when it fails. */
  readonly timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      this.#timings.push([step, Date.now() - start]);
    }
  };

  /** Logs every step's time under `title`. */
  print(title: string): void {
    const total = this.#timings.reduce((n, [, ms]) => n + ms, 0);
    const rows = this.#timings.map(([s, ms]) => `  ${String(ms).padStart(6)} ms  ${s}`);
    console.log(`${title}, time per step:\n${rows.join("\n")}\n  ${String(total).padStart(6)} ms  total`);
  }
}

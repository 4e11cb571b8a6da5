// Opens pages in headless Chromium (Debian's, driven by playwright-core) and reports what a person's browser
// fetched for each: every same-origin subresource response, requests that got none, requests to other
// origins (refused: the tests talk to loopback only), page errors and console errors; and takes a screenshot.
// A Node script on purpose: playwright-core is only used from Node, so test/helpers/browser.ts runs this with
// `node test/helpers/browser-check.mjs '<json>'` from whatever runtime the tests use.
//
// Argument: {"pages":[{"url","screenshot"}],"cookies":[{"name","value","url"}],"profileDir","chromium",
// "timeoutMs"}. Prints one line of JSON: {"pages":[...]} or {"error":"..."} (exit code 1).
import { chromium } from "playwright-core";
import { join } from "node:path";

const args = JSON.parse(process.argv[2] ?? "{}");
/** Other-origin URLs the current page asked for; refused. */
const blocked = new Set();

// Chromium's own traffic off (updates, sync, field trials), and no name but loopback resolves, so nothing
// the page links to can leave the machine even if the request filter below missed it.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];

function isLoopback(url) {
  try {
    const { hostname, protocol } = new URL(url);
    if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
    return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

async function checkPage(context, { url, screenshot }, timeoutMs) {
  const origin = new URL(url).origin;
  const page = await context.newPage();
  const report = { url, status: 0, finalUrl: url, title: "", screenshot, resources: [], failed: [], blocked: [], errors: [], consoleErrors: [] };
  const isDocument = (request) => request.isNavigationRequest() && request.frame() === page.mainFrame();
  // Closing the page aborts what is still in flight (the dashboard's heartbeat): not the server's failure.
  let closing = false;
  page.on("response", (response) => {
    if (closing) return;
    const request = response.request();
    if (isDocument(request)) {
      report.status = response.status();
      report.finalUrl = response.url();
      return;
    }
    if (!response.url().startsWith(`${origin}/`)) return;
    report.resources.push({
      url: response.url(),
      status: response.status(),
      contentType: response.headers()["content-type"] ?? "",
      resourceType: request.resourceType(),
    });
  });
  page.on("requestfailed", (request) => {
    if (closing) return;
    if (!request.url().startsWith(`${origin}/`)) return; // other origins: reported as blocked
    report.failed.push({ url: request.url(), resourceType: request.resourceType(), error: request.failure()?.errorText ?? "failed" });
  });
  page.on("pageerror", (error) => report.errors.push(String(error?.stack ?? error)));
  page.on("console", (message) => {
    // Refused other-origin loads (the admin's Gravatar) are in `blocked` already.
    if (message.type() === "error" && !message.text().includes("ERR_BLOCKED_BY_CLIENT")) report.consoleErrors.push(message.text());
  });
  try {
    await page.goto(url, { waitUntil: "load", timeout: timeoutMs });
    // Scripts fetch more after load (admin-ajax, REST, lazy styles): wait until quiet, but not for ever
    // (the dashboard keeps a heartbeat going).
    await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
    report.title = await page.title();
    await page.screenshot({ path: screenshot, timeout: timeoutMs });
  } finally {
    closing = true;
    await page.close();
  }
  return report;
}

async function main() {
  const context = await chromium.launchPersistentContext(join(args.profileDir, "profile"), {
    executablePath: args.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: args.timeoutMs,
  });
  try {
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (isLoopback(url)) return route.continue();
      blocked.add(url);
      return route.abort("blockedbyclient");
    });
    if (args.cookies?.length) await context.addCookies(args.cookies);
    const pages = [];
    for (const spec of args.pages) {
      blocked.clear();
      const report = await checkPage(context, spec, args.timeoutMs);
      report.blocked = [...blocked];
      pages.push(report);
    }
    return pages;
  } finally {
    await context.close();
  }
}

main().then(
  (pages) => {
    process.stdout.write(`${JSON.stringify({ pages })}\n`);
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ error: String(error?.stack ?? error) })}\n`);
    process.exitCode = 1;
  },
);

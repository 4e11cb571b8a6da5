// A real browser's view of pages: runs test/helpers/browser-check.mjs with `node` (playwright-core is only
// used from Node; node:child_process spawns it the same from Node, Deno and Bun) and returns its report.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { findExecutable } from "./daemon.ts";
import { removeDir } from "./fixtures.ts";
import { makeRamTempDir } from "./ram-temp-dir.ts";
import type { BrowserCookie } from "./wordpress-scenario.ts";

/** Debian's Chromium (CHROMIUM_BIN overrides); playwright-core downloads no browser here. */
export const CHROMIUM_BINARY: string | undefined = findExecutable([process.env.CHROMIUM_BIN, "chromium", "chromium-browser"]);
const NODE_BINARY: string | undefined = findExecutable(["node"]);
const SCRIPT = fileURLToPath(new URL("./browser-check.mjs", import.meta.url));
const PLAYWRIGHT = fileURLToPath(new URL("../../node_modules/playwright-core/package.json", import.meta.url));

/** Why the browser check cannot run here, or undefined when it can. */
export function browserMissing(): string | undefined {
  if (!CHROMIUM_BINARY) return "chromium is not installed (Debian: apt-get install chromium)";
  if (!NODE_BINARY) return "node is not in PATH (the browser check runs playwright-core under Node)";
  if (!existsSync(PLAYWRIGHT)) return "playwright-core is not installed (npm ci)";
  return undefined;
}

/** A same-origin response the page's document, scripts or styles asked for. */
export interface SubresourceResponse {
  readonly url: string;
  readonly status: number;
  readonly contentType: string;
  /** Playwright's resource type: stylesheet, script, image, font, xhr, fetch, ... */
  readonly resourceType: string;
}

export interface BrowserPage {
  readonly url: string;
  /** The document's status (the last hop of its redirects) and URL. */
  readonly status: number;
  readonly finalUrl: string;
  readonly title: string;
  /** Where its screenshot (PNG, 1280×900) was written. */
  readonly screenshot: string;
  /** Every same-origin subresource response, in arrival order. */
  readonly resources: readonly SubresourceResponse[];
  /** Same-origin requests that got no response at all (connection reset, bad chunking, ...). */
  readonly failed: ReadonlyArray<{ readonly url: string; readonly resourceType: string; readonly error: string }>;
  /** Non-loopback URLs the page asked for, refused by the browser check. */
  readonly blocked: readonly string[];
  /** Uncaught exceptions in the page's scripts. */
  readonly errors: readonly string[];
  /** console.error messages (Chromium logs failed loads there as well). */
  readonly consoleErrors: readonly string[];
}

export interface BrowserCheckOptions {
  readonly urls: readonly string[];
  /** Cookies to set before the first page (CookieJar.toBrowserCookies(base) for a logged-in session). */
  readonly cookies?: readonly BrowserCookie[];
  /** A .png path: with one URL the screenshot goes there; with several, page i's to `<name>-<i>.png`. */
  readonly screenshot: string;
  /** For each page's load and for the whole run (default 60 s). */
  readonly timeoutMs?: number;
}

/** The screenshot path of page `i` of `count`. */
function screenshotPath(path: string, i: number, count: number): string {
  if (count === 1) return path;
  return path.replace(/(\.png)?$/i, `-${i}.png`);
}

/** Loads each URL in a fresh headless Chromium profile and reports what the browser fetched. */
export async function browserCheck(options: BrowserCheckOptions): Promise<BrowserPage[]> {
  const missing = browserMissing();
  if (missing) throw new Error(missing);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = makeRamTempDir("browser");
  try {
    const args = {
      pages: options.urls.map((url, i) => ({ url, screenshot: screenshotPath(options.screenshot, i, options.urls.length) })),
      cookies: options.cookies ?? [],
      profileDir: dir,
      chromium: CHROMIUM_BINARY,
      timeoutMs,
    };
    const { code, stdout, stderr } = await run(NODE_BINARY!, [SCRIPT, JSON.stringify(args)], {
      // Chromium writes caches under HOME: keep them in our temp dir.
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: dir,
    }, timeoutMs * (options.urls.length + 1));
    const last = stdout.trim().split("\n").pop() ?? "";
    let answer: { pages?: BrowserPage[]; error?: string };
    try {
      answer = JSON.parse(last);
    } catch {
      throw new Error(`browser-check.mjs exited ${code} without a report:\n${stdout}\n${stderr}`);
    }
    if (answer.error || !answer.pages) throw new Error(`browser-check.mjs failed: ${answer.error}\n${stderr}`);
    return answer.pages;
  } finally {
    removeDir(dir);
  }
}

function run(command: string, args: string[], env: Record<string, string>, ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    // Killing node closes Playwright's pipe to Chromium, which then exits too.
    const timer = setTimeout(() => {
      stderr += `\n[browser-check.mjs killed after ${ms} ms]`;
      child.kill("SIGKILL");
    }, ms);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * What is wrong with the pages, one line each: a document or same-origin subresource outside 2xx/3xx, a
 * same-origin request without a response, an uncaught script error. Empty when all is well.
 */
export function browserProblems(pages: readonly BrowserPage[]): string[] {
  const problems: string[] = [];
  for (const p of pages) {
    if (p.status < 200 || p.status >= 400) problems.push(`${p.url}: document ${p.status}`);
    for (const r of p.resources) {
      if (r.status < 200 || r.status >= 400) problems.push(`${p.url}: ${r.resourceType} ${r.url} ${r.status} (${r.contentType})`);
    }
    for (const f of p.failed) problems.push(`${p.url}: ${f.resourceType} ${f.url} failed: ${f.error}`);
    for (const e of p.errors) problems.push(`${p.url}: page error ${e.split("\n")[0]}`);
  }
  return problems;
}


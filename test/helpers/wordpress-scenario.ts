// What a person does with a new WordPress, as plain HTTP against a base URL: install it, log in, turn on
// pretty permalinks, write a post, read it, upload an image, open the dashboard. Whatever serves the site
// (nginx, proxy-fcgi on Node, Deno or Bun) is driven the same way: global fetch, redirect: "manual" and a
// cookie jar of our own, so every hop and every Set-Cookie is seen. Each step checks only what it needs to
// go on and returns what a test asserts on.
import { deflateSync } from "node:zlib";

/** The site and its administrator, as installWordPress() creates them. */
export const WORDPRESS_SITE = {
  title: "proxy-fcgi WordPress",
  user: "admin",
  password: "proxy-fcgi-test-password-1",
  email: "admin@example.test",
} as const;

const TIMEOUT_MS = 30_000;

/** A cookie as playwright's BrowserContext.addCookies() takes it. */
export interface BrowserCookie {
  readonly name: string;
  readonly value: string;
  readonly url: string;
}

/**
 * Cookies by name, sent on every request whatever their Path: WordPress scopes its auth cookie to /wp-admin
 * and /wp-content/plugins with the same value, and sending it elsewhere is harmless. Expired ones (WordPress
 * clears cookies by expiring them) are dropped.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Takes in the Set-Cookie lines of a response. */
  update(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expired = false;
      for (const a of attributes) {
        const [k = "", v = ""] = a.split("=", 2).map((s) => s.trim());
        if (/^max-age$/i.test(k) && Number(v) <= 0) expired = true;
        if (/^expires$/i.test(k) && Date.parse(v) <= Date.now()) expired = true;
      }
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  /** The Cookie request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** Whether a cookie whose name starts with `prefix` is set (WordPress appends a hash of the site URL). */
  has(prefix: string): boolean {
    return [...this.#cookies.keys()].some((k) => k.startsWith(prefix));
  }

  /** The names of the cookies held. */
  names(): string[] {
    return [...this.#cookies.keys()];
  }

  /** The cookies for browserCheck(): each scoped to `base` (path /). */
  toBrowserCookies(base: string): BrowserCookie[] {
    // Values stay as WordPress sent them (percent-encoded); the browser sends them back the same way.
    return [...this.#cookies].map(([name, value]) => ({ name, value, url: base }));
  }
}

/** One HTTP response, read to the end. */
export interface PageResult {
  readonly status: number;
  readonly url: string;
  readonly contentType: string;
  /** The Location header of a redirect, resolved against `url`. */
  readonly location: string | undefined;
  readonly headers: Headers;
  readonly html: string;
  /** The document's <title>, entities decoded; "" when there is none. */
  readonly title: string;
}

/** The page's <title> as a person reads it (WordPress encodes dashes and quotes as entities). */
export function titleOf(html: string): string {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? decodeEntities(m[1]!).replace(/\s+/g, " ").trim() : "";
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", rsaquo: "\u203a", lsaquo: "\u2039", ndash: "\u2013", mdash: "\u2014", hellip: "\u2026" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return NAMED[e.toLowerCase()] ?? all;
  });
}

interface RequestOptions {
  readonly method?: string;
  readonly body?: BodyInit;
  readonly headers?: Record<string, string>;
  readonly jar?: CookieJar;
}

/** One request, no redirect followed; cookies go out from and come back into `jar`. */
async function request(url: string, options: RequestOptions = {}): Promise<PageResult> {
  const headers = new Headers(options.headers);
  const cookie = options.jar?.header();
  if (cookie) headers.set("cookie", cookie);
  const res = await fetch(url, {
    method: options.method ?? "GET",
    headers,
    body: options.body,
    redirect: "manual",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  options.jar?.update(res);
  const html = await res.text();
  const location = res.headers.get("location");
  return {
    status: res.status,
    url,
    contentType: res.headers.get("content-type") ?? "",
    location: location === null ? undefined : new URL(location, url).href,
    headers: res.headers,
    html,
    title: titleOf(html),
  };
}

/** Fails with the page's status, title and the start of its body. */
function unexpected(what: string, page: PageResult): Error {
  const text = page.html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
  return new Error(`${what}: ${page.status} from ${page.url}${page.location ? ` (Location ${page.location})` : ""}, title "${page.title}": ${text.slice(0, 600)}`);
}

function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

/** The value of the first hidden input called `name` (WordPress prints its nonces as such). */
function inputValue(html: string, name: string): string | undefined {
  const re = new RegExp(`<input[^>]*\\bname=["']${name.replace(/[[\]]/g, "\\$&")}["'][^>]*>`, "i");
  const tag = re.exec(html)?.[0];
  const value = tag && /\bvalue=["']([^"']*)["']/i.exec(tag)?.[1];
  return value === undefined || value === null ? undefined : decodeEntities(value);
}

function join(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

export interface InstallResult {
  /** Where the front page sent us before the install (WordPress redirects to wp-admin/install.php). */
  readonly before: PageResult;
  /** The install form (install.php?step=1). */
  readonly form: PageResult;
  /** The answer to the form: 200 with "Success!" in its html when WordPress is installed. */
  readonly result: PageResult;
  readonly success: boolean;
}

/** Installs WordPress through wp-admin/install.php as a person would, with WORDPRESS_SITE's data. */
export async function installWordPress(base: string): Promise<InstallResult> {
  const before = await request(join(base, "/"));
  const formPage = await request(join(base, "/wp-admin/install.php?step=1"));
  const result = await request(join(base, "/wp-admin/install.php?step=2"), {
    method: "POST",
    body: form({
      weblog_title: WORDPRESS_SITE.title,
      user_name: WORDPRESS_SITE.user,
      admin_password: WORDPRESS_SITE.password,
      admin_password2: WORDPRESS_SITE.password,
      pw_weak: "on",
      admin_email: WORDPRESS_SITE.email,
      blog_public: "0",
      language: "",
      Submit: "Install WordPress",
    }),
  });
  return { before, form: formPage, result, success: result.status === 200 && /<h1>\s*Success!\s*<\/h1>/i.test(result.html) };
}

/**
 * Logs in through wp-login.php (first a GET for the test cookie, as a browser does) and returns the jar with
 * the session cookies. Throws unless WordPress answers with a redirect into wp-admin and a logged-in cookie.
 */
export async function logIn(base: string, user: string = WORDPRESS_SITE.user, password: string = WORDPRESS_SITE.password): Promise<CookieJar> {
  const jar = new CookieJar();
  const loginUrl = join(base, "/wp-login.php");
  const page = await request(loginUrl, { jar });
  if (page.status !== 200 || !jar.has("wordpress_test_cookie")) throw unexpected("login form without the test cookie", page);
  const result = await request(loginUrl, {
    method: "POST",
    jar,
    body: form({
      log: user,
      pwd: password,
      "wp-submit": "Log In",
      redirect_to: join(base, "/wp-admin/"),
      testcookie: "1",
    }),
  });
  if (result.status !== 302 || !result.location?.includes("/wp-admin") || !jar.has("wordpress_logged_in_")) {
    throw unexpected("login failed", result);
  }
  return jar;
}

export interface PermalinkResult {
  /** The settings page after saving (200). */
  readonly status: number;
  /** The structure the settings page shows after saving. */
  readonly structure: string | undefined;
  /** The notice WordPress shows ("Permalink structure updated."). */
  readonly message: string;
}

/**
 * Saves a custom permalink structure on Settings › Permalinks. WordPress writes .htaccess only under Apache;
 * elsewhere (nginx, the gateway) pretty URLs work when the server sends unknown paths to index.php.
 */
export async function setPrettyPermalinks(base: string, jar: CookieJar, structure = "/%postname%/"): Promise<PermalinkResult> {
  const url = join(base, "/wp-admin/options-permalink.php");
  const page = await request(url, { jar });
  const nonce = inputValue(page.html, "_wpnonce");
  if (page.status !== 200 || !nonce) throw unexpected("permalink settings without a nonce", page);
  const result = await request(url, {
    method: "POST",
    jar,
    body: form({
      _wpnonce: nonce,
      _wp_http_referer: inputValue(page.html, "_wp_http_referer") ?? "/wp-admin/options-permalink.php",
      selection: "custom",
      permalink_structure: structure,
      category_base: "",
      tag_base: "",
      submit: "Save Changes",
    }),
  });
  // Saved, WordPress redirects to ?settings-updated=true, and only that GET flushes the rewrite rules: until
  // it is made, the new URLs are 404s.
  if (result.status !== 302 || !result.location) throw unexpected("saving the permalink structure", result);
  const after = await request(result.location, { jar });
  const notice = /<div[^>]*class=["'][^"']*(?:notice|updated)[^"']*["'][^>]*>\s*<p>(?:<strong>)?([\s\S]*?)<\/(?:strong|p)>/i.exec(after.html);
  return {
    status: after.status,
    structure: inputValue(after.html, "permalink_structure"),
    message: notice ? decodeEntities(notice[1]!.replace(/<[^>]+>/g, "")).trim() : "",
  };
}

export interface PostResult {
  /** 201 from the REST API when the post was created. */
  readonly status: number;
  readonly id: number;
  /** The post's permalink, as WordPress links to it. */
  readonly link: string;
}

/**
 * Publishes a post through the REST API at /wp-json/ (what the block editor does), authenticated by the
 * cookies and the REST nonce from admin-ajax.php?action=rest-nonce. /wp-json/ needs pretty permalinks, i.e.
 * unknown paths served by index.php.
 */
export async function createPost(base: string, jar: CookieJar, title: string, content: string): Promise<PostResult> {
  const noncePage = await request(join(base, "/wp-admin/admin-ajax.php?action=rest-nonce"), { jar });
  const nonce = noncePage.html.trim();
  if (noncePage.status !== 200 || !/^[0-9a-f]{6,}$/i.test(nonce)) throw unexpected("no REST nonce", noncePage);
  const result = await request(join(base, "/wp-json/wp/v2/posts"), {
    method: "POST",
    jar,
    headers: { "content-type": "application/json", "x-wp-nonce": nonce },
    body: JSON.stringify({ title, content, status: "publish" }),
  });
  if (result.status !== 201) throw unexpected("the REST API did not create the post", result);
  const post = JSON.parse(result.html) as { id: number; link: string };
  return { status: result.status, id: post.id, link: post.link };
}

/** GETs a page as a visitor (no cookies, no redirect followed). */
export function viewPost(url: string): Promise<PageResult> {
  return request(url);
}

/** GETs any page, with the jar's cookies when given (no redirect followed). */
export function fetchPage(url: string, jar?: CookieJar): Promise<PageResult> {
  return request(url, { jar });
}

export interface UploadResult {
  /** 200 from async-upload.php. */
  readonly status: number;
  readonly id: number;
  /** Where the uploaded file is served, under wp-content/uploads/. */
  readonly url: string;
  readonly mime: string;
  /** The bytes sent, for comparing with what the URL serves. */
  readonly png: Uint8Array;
}

/**
 * Uploads a PNG made here through wp-admin/async-upload.php as the media library's uploader does
 * (multipart, action=upload-attachment, the media-form nonce from Media › Add New).
 */
export async function uploadImage(base: string, jar: CookieJar, width = 320, height = 200): Promise<UploadResult> {
  const page = await request(join(base, "/wp-admin/media-new.php"), { jar });
  const nonce = inputValue(page.html, "_wpnonce");
  if (page.status !== 200 || !nonce) throw unexpected("media-new.php without the media-form nonce", page);
  const png = makePng(width, height);
  const body = new FormData();
  body.append("name", "proxy-fcgi-test.png");
  body.append("action", "upload-attachment");
  body.append("_wpnonce", nonce);
  body.append("async-upload", new Blob([png], { type: "image/png" }), "proxy-fcgi-test.png");
  const result = await request(join(base, "/wp-admin/async-upload.php"), { method: "POST", jar, body });
  let answer: { success?: boolean; data?: { id: number; url: string; mime: string; message?: string } };
  try {
    answer = JSON.parse(result.html);
  } catch {
    throw unexpected("async-upload.php did not answer JSON", result);
  }
  if (result.status !== 200 || !answer.success || !answer.data) throw unexpected(`upload refused (${answer.data?.message ?? "?"})`, result);
  return { status: result.status, id: answer.data.id, url: answer.data.url, mime: answer.data.mime, png };
}

/** GETs wp-admin/ logged in; a 200 titled "Dashboard ‹ <site> — WordPress" when all is well. */
export function openDashboard(base: string, jar: CookieJar): Promise<PageResult> {
  return request(join(base, "/wp-admin/"), { jar });
}

// --- a PNG made in code: an RGB gradient, so a thumbnail of it is still a picture ---

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A valid `width`×`height` 8-bit RGB PNG. */
export function makePng(width: number, height: number): Uint8Array<ArrayBuffer> {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // depth 8, colour type 2 (RGB), deflate, no filter method, no interlace
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3); // each row starts with filter type 0
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 255) / Math.max(1, width - 1);
      raw[row + 2 + x * 3] = (y * 255) / Math.max(1, height - 1);
      raw[row + 3 + x * 3] = 160;
    }
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}

// The keys only a site has (`--site "/ ROOT BACKEND key=value ..."`, or a JSON route with `root`): how paths
// map onto the root (try-files, index, split, alias), what is refused (hide), and how files are sent
// (precompressed, expires). Lists are comma-separated on the command line; JSON may give an array instead.
import { InvalidValue } from "../errors.ts";
import type { ExpiresRule, SiteAlias, SiteConfig, TryEntry } from "../site/types.ts";
import { parseDuration, parseOnOff } from "./values.ts";

export type MutableSite = { -readonly [K in keyof SiteConfig]: SiteConfig[K] };

/** Caddy's php_fastcgi defaults (try_files {path} {path}/index.php index.php; index index.php index.html). */
export function siteDefaults(root: string, hasBackend: boolean): MutableSite {
  return {
    root,
    hasBackend,
    tryFiles: hasBackend ? tries("{path},{path}/index.php,/index.php") : tries("{path},=404"),
    index: hasBackend ? ["index.php", "index.html"] : ["index.html"],
    split: [".php"],
    hide: [],
    aliases: [],
    precompressed: true,
    expires: [],
  };
}

type SiteKeyParser = (site: MutableSite, text: string, written: Set<string>) => void;

/** A site key's list value: CLI text is comma-separated. */
function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function tries(text: string): TryEntry[] {
  const words = list(text);
  if (words.length === 0) throw new InvalidValue("needs at least one entry");
  return words.map((w, i) => {
    if (!w.startsWith("=")) {
      if (/[\0-\x1f\x7f?#]/.test(w)) throw new InvalidValue(`"${w}" has a control character, "?" or "#"`);
      return { kind: "path", template: w };
    }
    if (i !== words.length - 1) throw new InvalidValue(`"${w}": a =CODE entry must come last`);
    const code = Number(w.slice(1));
    if (!/^=\d{3}$/.test(w) || code < 200 || code > 599) throw new InvalidValue(`"${w}" must be =CODE with CODE from 200 to 599`);
    return { kind: "status", code };
  });
}

function urlPrefix(text: string): string {
  if (!text.startsWith("/")) throw new InvalidValue(`"${text}" must start with "/"`);
  const p = text.replace(/\/{2,}/g, "/");
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

const SITE_KEYS: Readonly<Record<string, SiteKeyParser>> = {
  "try-files": (s, t) => { s.tryFiles = tries(t); },
  index: (s, t, written) => {
    if (t.trim().toLowerCase() === "off") {
      s.index = [];
      // Caddy's `index off`: no slash redirect and no fallback to an index script, only the path itself.
      if (!written.has("try-files")) s.tryFiles = tries("{path},=404");
      return;
    }
    const names = list(t);
    if (names.length === 0 || names.some((n) => n.includes("/"))) throw new InvalidValue(`"${t}" must be file names, or off`);
    s.index = names;
  },
  split: (s, t) => {
    const exts = list(t).map((e) => (e.startsWith(".") ? e : `.${e}`));
    if (exts.length === 0 || exts.some((e) => !/^\.[A-Za-z0-9]+$/.test(e))) throw new InvalidValue(`"${t}" must be extensions such as .php`);
    s.split = exts.map((e) => e.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  },
  hide: (s, t) => { s.hide = [...s.hide, ...list(t)]; },
  alias: (s, t) => {
    const colon = t.indexOf(":");
    if (colon <= 0) throw new InvalidValue(`"${t}" must be URL-PREFIX:DIR`);
    const dir = t.slice(colon + 1);
    if (!dir.startsWith("/")) throw new InvalidValue(`the directory in "${t}" must be absolute`);
    const alias: SiteAlias = { prefix: urlPrefix(t.slice(0, colon)), dir };
    if (alias.prefix === "/") throw new InvalidValue(`"${t}": an alias of "/" is the root itself`);
    s.aliases = [...s.aliases, alias];
  },
  precompressed: (s, t) => { s.precompressed = parseOnOff(t); },
  expires: (s, t) => {
    const rules: ExpiresRule[] = list(t).map((rule) => {
      const colon = rule.lastIndexOf(":");
      if (colon <= 0) throw new InvalidValue(`"${rule}" must be GLOB:DURATION, such as *.css:7d`);
      return { glob: rule.slice(0, colon), maxAgeS: parseAge(rule.slice(colon + 1)) };
    });
    s.expires = [...s.expires, ...rules];
  },
};

/** `30`, `30s`, `15m`, `12h`, `7d` → seconds (0 allowed: revalidate every time). */
function parseAge(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) {
    // also the route keys' forms (`500ms` makes no sense for max-age, but `2s` does)
    return Math.round(parseDuration(text, "s") / 1000);
  }
  const mult = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!]!;
  return Number(m[1]) * mult;
}

/** Keys a site refuses: handler mode (issue M) takes them; a front-controller site computes its own paths. */
const NOT_ON_A_SITE: Readonly<Record<string, string>> = {
  "backend-type": "a site sends plain filesystem paths in SCRIPT_FILENAME (as nginx and Caddy do); backend-type belongs to --proxy-pass routes",
  "path-info": "a site splits PATH_INFO at its split extensions (the split key); path-info belongs to --proxy-pass routes",
  "document-root": "a site's DOCUMENT_ROOT is its root",
};

/** Is `key` a site key? */
export function isSiteKey(key: string): boolean {
  return Object.hasOwn(SITE_KEYS, key);
}

/** Applies one site key, or throws InvalidValue; a route-only key is refused with the reason. */
export function applySiteKey(site: MutableSite, key: string, text: string, written: Set<string>): void {
  const refused = Object.hasOwn(NOT_ON_A_SITE, key) ? NOT_ON_A_SITE[key] : undefined;
  if (refused !== undefined) throw new InvalidValue(`key "${key}" is not for a site: ${refused}`);
  try {
    SITE_KEYS[key]!(site, text, written);
    written.add(key);
  } catch (problem) {
    throw new InvalidValue(`key "${key}": ${problem instanceof Error ? problem.message : String(problem)}`);
  }
}

/** Is `key` refused on a site (with its reason)? */
export function refusedOnSite(key: string): boolean {
  return Object.hasOwn(NOT_ON_A_SITE, key);
}

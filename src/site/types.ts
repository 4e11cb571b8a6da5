// A site's configuration as plain values (the config parsers fill it; src/config/site-keys.ts), and what the
// site layer decides for one request: a redirect, a status, a static file, or a script for the backend.
import type { OpenFile } from "../platform/types.ts";

/** One try-files entry: a path template (`{path}`, `{path}/index.php`, `/index.php`), or `=CODE`. */
export type TryEntry =
  | { readonly kind: "path"; readonly template: string }
  | { readonly kind: "status"; readonly code: number };

/** `alias=URL-PREFIX:DIR`: another directory mapped in explicitly (Apache's Alias). */
export interface SiteAlias {
  /** URL path under the site, with a leading and no trailing slash (`/static`). */
  readonly prefix: string;
  /** Absolute directory. */
  readonly dir: string;
}

/** `expires=GLOB:DURATION`: Cache-Control max-age for files whose name matches. */
export interface ExpiresRule {
  readonly glob: string;
  readonly maxAgeS: number;
}

/** A document root and how requests map onto it (Caddy's php_fastcgi + file_server defaults). */
export interface SiteConfig {
  /** Absolute; symlinks are resolved per request (a deploy's `current → releases/N` switch takes effect). */
  readonly root: string;
  /** Without a backend (`none`) scripts are never run: a .php file is a 404, never its source. */
  readonly hasBackend: boolean;
  readonly tryFiles: readonly TryEntry[];
  /** Index file names, in order; empty: `index=off` (no slash redirect, no fallback to an index). */
  readonly index: readonly string[];
  /** Script extensions the path is split at, lower case with their dot (`.php`). */
  readonly split: readonly string[];
  /** Extra names refused with 404 (globs over the file name, or `/`-rooted globs over the site path). */
  readonly hide: readonly string[];
  readonly aliases: readonly SiteAlias[];
  readonly precompressed: boolean;
  readonly expires: readonly ExpiresRule[];
}

/** What a script request sends as its script variables (all plain filesystem paths, never `proxy:fcgi://`). */
export interface SiteScript {
  readonly scriptFilename: string;
  /** URL path up to and including the script, under the client's view (mount and route prefix included). */
  readonly scriptName: string;
  readonly pathInfo?: string;
  readonly pathTranslated?: string;
  readonly documentUri: string;
  readonly documentRoot: string;
}

/** The site's decision for one request. */
export type SiteDecision =
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "status"; readonly code: number; readonly reason: string }
  /** `name`: the file's path on disk; `root`: the resolved directory it was confined to (for its sidecars). */
  | { readonly kind: "file"; readonly file: OpenFile; readonly name: string; readonly root: string }
  | { readonly kind: "script"; readonly script: SiteScript };

/** A response the site answers by itself (a static file, a redirect, a 304...). */
export interface SiteReply {
  readonly status: number;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

// One site: maps a request's path onto its document root and decides what answers it (Caddy's php_fastcgi
// preset, with nginx's safety checks): the slash redirect of a directory, try-files, the split at `.php`, and
// the checks that a script exists and that every file lies under the root.
import type { FileStat, OpenFile, SiteFiles } from "../platform/types.ts";
import { confinedOpen, confinedStat } from "./confine.ts";
import { hiddenReason, isSourceName } from "./hidden.ts";
import { RealRoot } from "./real-root.ts";
import { hasScriptExtension, splitScript } from "./split.ts";
import type { SiteConfig, SiteDecision, SiteScript, TryEntry } from "./types.ts";

/** Where a site path lies on disk: the directory it is under (resolved) and the file's path. */
interface Mapped {
  readonly root: string;
  readonly path: string;
}

/** What decide() needs of the request. */
export interface SiteRequest {
  /** The decoded path after the route prefix: "" (the site itself, without a slash) or starting with "/". */
  readonly path: string;
  /** The raw path as the client sent it (for the slash redirect's Location), and the raw query or null. */
  readonly rawPath: string;
  readonly rawQuery: string | null;
  /** The URL path the site is seen under (mount point and route prefix), without a trailing slash. */
  readonly base: string;
}

const notFound = (reason: string): SiteDecision => ({ kind: "status", code: 404, reason });

export class Site {
  readonly config: SiteConfig;
  readonly #files: SiteFiles;
  readonly #root: RealRoot;
  readonly #aliases: ReadonlyArray<{ readonly prefix: string; readonly dir: RealRoot }>;
  /** Tried in order; the first that exists answers (a `=CODE` entry answers with that status). */
  readonly #tries: readonly TryEntry[];

  constructor(config: SiteConfig, files: SiteFiles) {
    this.config = config;
    this.#files = files;
    this.#root = new RealRoot(config.root);
    this.#aliases = config.aliases.map((a) => ({ prefix: a.prefix, dir: new RealRoot(a.dir) }));
    this.#tries = config.tryFiles;
  }

  /** What answers `req`. Never throws for the request's sake: a refusal is a `status` decision. */
  async decide(req: SiteRequest): Promise<SiteDecision> {
    const path = req.path === "" ? "/" : req.path;
    const hidden = hiddenReason(path, this.config.hide);
    if (hidden !== null) return notFound(hidden);
    const now = Date.now();
    const r = this.#root.resolve(this.#files, now);
    const root = r instanceof Promise ? await r : r;
    if (root === null) return notFound(`document root ${this.config.root} does not exist`);
    const named = this.config.hasBackend ? splitScript(path, this.config.split) : null;
    if (named === null && isSourceName(path)) return notFound(`${path}: PHP source is never served`);
    // A directory asked for without its slash, that holds an index file: 308 to the slash form (Caddy's
    // canonical-path redirect), so relative links inside resolve against the directory.
    if (named === null && this.config.index.length > 0 && !req.path.endsWith("/")) {
      // Plain stat first: most such paths are files, and only a directory needs the realpath check.
      const at = await this.#map(path, root, now);
      const plain = at === null ? null : await this.#files.stat(at.path);
      const dir = plain?.kind === "directory" ? await this.#stat(path, root, now) : null;
      if (dir?.kind === "directory" && (await this.#hasIndex(path.endsWith("/") ? path : path + "/", root, now))) {
        return { kind: "redirect", location: `${req.rawPath}/${req.rawQuery === null ? "" : `?${req.rawQuery}`}` };
      }
    }
    // A path that names a script runs that script or nothing (nginx's `location ~ \.php$ { try_files $uri
    // =404; }`): an upload dir's `/x.jpg/y.php` is a 404, never a fallback, never x.jpg run as PHP.
    if (named !== null) {
      return (await this.#script(named.script, named.info, root, now, req.base)) ?? notFound(`${named.script}: no such script`);
    }
    const tries = this.#tries;
    for (let i = 0; i < tries.length; i++) {
      const entry = tries[i]!;
      if (entry.kind === "status") return { kind: "status", code: entry.code, reason: `try-files ended at =${entry.code}` };
      const candidate = substitute(entry.template, path);
      const found = await this.#candidate(candidate, root, now, req.base);
      if (found !== null) return found;
    }
    return notFound(`${path}: no file matched try-files`);
  }

  /** A try-files candidate: a script, a directory's index, or a static file; null when nothing is there. */
  async #candidate(candidate: string, root: string, now: number, base: string): Promise<SiteDecision | null> {
    if (hiddenReason(candidate, this.config.hide) !== null) return null;
    const split = this.config.hasBackend ? splitScript(candidate, this.config.split) : null;
    if (split !== null) return this.#script(split.script, split.info, root, now, base);
    if (candidate.endsWith("/")) {
      const dir = await this.#stat(candidate, root, now);
      return dir?.kind === "directory" ? this.#indexIn(candidate, root, now, base) : null;
    }
    if (isSourceName(candidate)) return null;
    return this.#file(candidate, root, now);
  }

  /** Does directory `dir` (ending in "/") hold one of the index files? */
  async #hasIndex(dir: string, root: string, now: number): Promise<boolean> {
    for (const name of this.config.index) {
      const path = dir + name;
      const runnable = this.config.hasBackend && hasScriptExtension(path, this.config.split);
      if (!runnable && isSourceName(path)) continue;
      if ((await this.#stat(path, root, now))?.kind === "file") return true;
    }
    return false;
  }

  /** The first index file of directory `dir` (ending in "/") that answers: a script or a static file. */
  async #indexIn(dir: string, root: string, now: number, base: string): Promise<SiteDecision | null> {
    for (const name of this.config.index) {
      const path = dir + name;
      if (this.config.hasBackend && hasScriptExtension(path, this.config.split)) {
        const script = await this.#script(path, "", root, now, base);
        if (script !== null) return script;
      } else if (!isSourceName(path)) {
        const file = await this.#file(path, root, now);
        if (file !== null) return file;
      }
    }
    return null;
  }

  async #script(script: string, info: string, root: string, now: number, base: string): Promise<SiteDecision | null> {
    const at = await this.#map(script, root, now);
    if (at === null) return null;
    const stat = await confinedStat(this.#files, at.path, at.root);
    if (stat?.kind !== "file") return null;
    const s: SiteScript = info === ""
      ? { scriptFilename: at.path, scriptName: base + script, documentUri: base + script, documentRoot: root }
      : { scriptFilename: at.path, scriptName: base + script, pathInfo: info, pathTranslated: root + info, documentUri: base + script + info, documentRoot: root };
    return { kind: "script", script: s };
  }

  async #file(path: string, root: string, now: number): Promise<SiteDecision | null> {
    const at = await this.#map(path, root, now);
    if (at === null) return null;
    const file: OpenFile | null = await confinedOpen(this.#files, at.path, at.root);
    return file === null ? null : { kind: "file", file, name: at.path, root: at.root };
  }

  async #stat(path: string, root: string, now: number): Promise<FileStat | null> {
    const at = await this.#map(path, root, now);
    return at === null ? null : confinedStat(this.#files, at.path, at.root);
  }

  /** The site path `path` on disk: under an alias directory when one maps it, else under the root. */
  async #map(path: string, root: string, now: number): Promise<Mapped | null> {
    for (const a of this.#aliases) {
      if (path === a.prefix || (path.startsWith(a.prefix) && path.charCodeAt(a.prefix.length) === 0x2f)) {
        const r = a.dir.resolve(this.#files, now);
        const dir = r instanceof Promise ? await r : r;
        return dir === null ? null : { root: dir, path: dir + (path.slice(a.prefix.length) || "/") };
      }
    }
    return { root, path: root === "/" ? path : root + path };
  }
}

/** A try-files template with `{path}` filled in; repeated slashes collapse, and the result starts with "/". */
function substitute(template: string, path: string): string {
  let s = template.includes("{path}") ? template.split("{path}").join(path) : template;
  if (!s.startsWith("/")) s = "/" + s;
  return s.includes("//") ? s.replace(/\/{2,}/g, "/") : s;
}

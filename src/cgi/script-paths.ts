// SCRIPT_FILENAME, SCRIPT_NAME, PATH_INFO and PATH_TRANSLATED for a routed request, per path-info mode.
// Behaviour follows mod_proxy_fcgi (proxy_fcgi_canon and send_environment), with the differences noted.
import { Forbidden } from "../errors.ts";

/** How SCRIPT_FILENAME is spelled (Apache's ProxyFCGIBackendType). */
export type BackendType = "FPM" | "GENERIC";
/** How PATH_INFO is derived (Apache's proxy-fcgi-pathinfo, plus `none`, the ProxyPass default). */
export type PathInfoMode = "none" | "first-dot" | "last-dot" | "unescape" | "full";

/** What the script paths need of a route's target. */
export interface ScriptTarget {
  /** `proxy:fcgi://host[:port]`, as Apache puts it before the path in SCRIPT_FILENAME (port 8000 left out). */
  readonly filenamePrefix: string;
  /** The decoded path of the target URL, e.g. `/srv/app/` (may be empty). */
  readonly path: string;
}

/** The four script variables of one request. */
export interface ScriptPaths {
  readonly scriptFilename: string;
  readonly scriptName: string;
  readonly pathInfo?: string;
  readonly pathTranslated?: string;
  /** DOCUMENT_URI (nginx's and Caddy's): the script's URL path and PATH_INFO; sites send it, routes do not. */
  readonly documentUri?: string;
}

/** Is `path` an existing regular file? Injected: only the `full` mode touches the filesystem. */
export type IsFile = (path: string) => Promise<boolean>;

export interface ScriptInput {
  readonly target: ScriptTarget;
  readonly backendType: BackendType;
  readonly pathInfoMode: PathInfoMode;
  readonly documentRoot: string;
  /** Decoded, slash-collapsed URI path (SCRIPT_NAME by default, RFC 3875 §3.3). */
  readonly uriPath: string;
  /** The part of uriPath after the route prefix. */
  readonly rest: string;
}

/** The backend path the target maps the request to: target path + the rest of the URI (Apache's ProxyPass). */
export function backendPath(target: ScriptTarget, rest: string): string {
  let p = target.path;
  if (p.endsWith("/") && rest.startsWith("/")) p += rest.slice(1);
  else p += rest;
  return p.startsWith("/") ? p : "/" + p;
}

export function scriptPaths(input: ScriptInput, isFile?: IsFile): ScriptPaths | Promise<ScriptPaths> {
  const path = backendPath(input.target, input.rest);
  // SCRIPT_FILENAME is a filesystem path, never percent-encoded (unlike Apache's ProxyPass, whose re-encoding
  // PHP >= 8.5 decodes again). So refuse what would make the backend run another file: a control byte or NUL
  // anywhere, and under FPM a "?" (PHP-FPM cuts SCRIPT_FILENAME there: the %3F confusion attack).
  if (/[\0-\x1f\x7f]/.test(path)) throw new Forbidden(`control character in script path`);
  if (input.backendType === "FPM" && path.includes("?")) throw new Forbidden(`"?" in script path ${path}`);
  switch (input.pathInfoMode) {
    case "none":
      return paths(input, path, input.uriPath);
    case "first-dot":
    case "last-dot": {
      const dot = input.pathInfoMode === "first-dot" ? path.indexOf(".") : path.lastIndexOf(".");
      const slash = dot < 0 ? -1 : path.indexOf("/", dot);
      if (slash < 0) return paths(input, path, input.uriPath);
      const info = path.slice(slash);
      // Apache leaves the path info inside SCRIPT_FILENAME here; we cut it, as nginx's split does, so the
      // backend is told the file it should run.
      return paths(input, path.slice(0, slash), stripSuffix(input.uriPath, info), info);
    }
    case "unescape":
      // Apache: PATH_INFO is the whole backend path; SCRIPT_NAME is what of the URI is left in front of it.
      return paths(input, path, stripCommonSuffix(input.uriPath, path), path);
    case "full":
      if (!isFile) throw new Error("path-info=full needs filesystem access, which this runtime does not have");
      return fullSplit(input, path, isFile);
  }
}

function paths(input: ScriptInput, filePath: string, scriptName: string, pathInfo?: string, plainFile = false): ScriptPaths {
  const scriptFilename = plainFile || input.backendType === "GENERIC" ? filePath : input.target.filenamePrefix + filePath;
  if (!pathInfo) return { scriptFilename, scriptName };
  return { scriptFilename, scriptName, pathInfo, pathTranslated: joinRoot(input.documentRoot, pathInfo) };
}

/**
 * `full`: the longest prefix of the backend path that is an existing regular file, looked up as an absolute
 * path and then under the document root (what Apache trunk does; 2.4.x up to .62 is broken here). Walking down
 * from the root, the first regular file is that prefix: nothing can lie below a file.
 */
async function fullSplit(input: ScriptInput, path: string, isFile: IsFile): Promise<ScriptPaths> {
  for (const base of input.documentRoot ? ["", trimSlash(input.documentRoot)] : [""]) {
    for (let i = path.indexOf("/", 1); ; i = path.indexOf("/", i + 1)) {
      const candidate = i < 0 ? path : path.slice(0, i);
      if (candidate.length > 1 && (await isFile(base + candidate))) {
        const info = i < 0 ? undefined : path.slice(i);
        const scriptName = info ? stripSuffix(input.uriPath, info) : input.uriPath;
        return paths(input, base + candidate, scriptName, info, true);
      }
      if (i < 0) break;
    }
  }
  return paths(input, path, input.uriPath);
}

function stripSuffix(s: string, suffix: string): string {
  return s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
}

/** Apache's ap_find_path_info: match from the end, then stop at the next segment boundary. */
function stripCommonSuffix(uri: string, info: string): string {
  let lu = uri.length;
  let lp = info.length;
  while (lu > 0 && lp > 0 && uri.charCodeAt(lu - 1) === info.charCodeAt(lp - 1)) {
    lu--;
    lp--;
  }
  let cut = lu > 0 ? lu - 1 : 0;
  while (cut < uri.length && uri.charCodeAt(cut) !== 0x2f) cut++;
  return uri.slice(0, cut);
}

function trimSlash(p: string): string {
  return p.endsWith("/") ? p.slice(0, -1) : p;
}

function joinRoot(root: string, info: string): string {
  return trimSlash(root) + info;
}

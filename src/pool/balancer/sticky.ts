// Finding a sticky-session route in a request, as Apache's mod_proxy_balancer does (get_path_param,
// get_cookie_param, find_session_route): the session value comes from a URL parameter first, then from the
// Cookie header, and the route is what follows the first separator ("." by default) in that value.
// The scans copy Apache's exact string walks, quirks included, so a route is found exactly when Apache
// finds one.

/** The names to look for: `stickysession=COOKIE|PARAM`, or one name used for both. */
export interface StickyNames {
  /** Cookie name (Apache's `sticky`). */
  readonly cookie: string;
  /** URL parameter name (Apache's `sticky_path`). */
  readonly param: string;
}

/**
 * Parses a `stickysession=` value. The part before the first "|" names the cookie and the part after it the
 * URL parameter; without "|" one name serves both. Undefined (no stickiness) when the cookie name is empty,
 * as Apache skips session routes when `sticky` is empty.
 */
export function parseStickySession(value: string): StickyNames | undefined {
  const bar = value.indexOf("|");
  const cookie = bar < 0 ? value : value.slice(0, bar);
  const param = bar < 0 ? value : value.slice(bar + 1);
  return cookie === "" ? undefined : { cookie, param };
}

/** Where a session value was found and the route in it. */
export interface SessionRoute {
  /** The name it was found under (BALANCER_SESSION_STICKY). */
  readonly sticky: string;
  /** The route: the value after the separator (BALANCER_SESSION_ROUTE). May be "". */
  readonly route: string;
}

/**
 * The session route of a request: the URL parameter `names.param` in `target` (path and query as sent),
 * else the cookie `names.cookie`. `separator` is `stickysessionsep` (default "."; null = Off, the whole
 * value is the route). Undefined when no value was found or it has no separator (Apache then has no route).
 */
export function findSessionRoute(
  target: string,
  cookie: string | null,
  names: StickyNames,
  scolonPathDelim: boolean,
  separator: string | null = ".",
): SessionRoute | undefined {
  let sticky = names.param;
  let value = names.param === "" ? undefined : pathParam(target, names.param, scolonPathDelim);
  if (value === undefined) {
    sticky = names.cookie;
    value = cookie === null ? undefined : cookieValue(cookie, names.cookie);
  }
  if (value === undefined) return undefined;
  if (separator === null) return { sticky, route: value };
  const at = value.indexOf(separator);
  return at < 0 ? undefined : { sticky, route: value.slice(at + 1) };
}

/**
 * Apache's get_path_param: the value after the first `name=` (found anywhere, no boundary check) whose rest
 * is not empty, cut at the delimiters `?&` (plus `;` with scolonpathdelim) the way strtok does, which skips
 * leading delimiters. After a `name` not followed by "=" the search resumes two characters past it.
 */
export function pathParam(url: string, name: string, scolonPathDelim: boolean): string | undefined {
  if (name === "") return undefined;
  let at = url.indexOf(name);
  while (at >= 0) {
    let p = at + name.length;
    if (url[p] === "=") {
      p++;
      if (p < url.length) {
        while (p < url.length && isPathDelim(url.charCodeAt(p), scolonPathDelim)) p++;
        if (p === url.length) return undefined;
        let end = p;
        while (end < url.length && !isPathDelim(url.charCodeAt(end), scolonPathDelim)) end++;
        return url.slice(p, end);
      }
    }
    at = url.indexOf(name, p + 1);
  }
  return undefined;
}

function isPathDelim(c: number, scolon: boolean): boolean {
  return c === 0x3f /* ? */ || c === 0x26 /* & */ || (scolon && c === 0x3b) /* ; */;
}

/**
 * Apache's get_cookie_param: `name` at the start or after ";", "," or white space, optional white space,
 * "=", and a non-empty value, which ends at the first ";" or ",". A candidate that fails after its boundary
 * check moves the search on by one character past where the check stopped, as Apache's pointer walk does.
 */
export function cookieValue(cookies: string, name: string): string | undefined {
  if (name === "") return undefined;
  let at = cookies.indexOf(name);
  while (at >= 0) {
    let next = at + 1;
    if (at === 0 || isCookieBoundary(cookies.charCodeAt(at - 1))) {
      let p = at + name.length;
      while (p < cookies.length && isCSpace(cookies.charCodeAt(p))) p++;
      if (p >= cookies.length) return undefined; // Apache would read past the end; nothing to find there
      const eq = cookies[p] === "=";
      p++;
      if (eq && p < cookies.length) {
        let end = p;
        while (end < cookies.length && cookies[end] !== ";" && cookies[end] !== ",") end++;
        return cookies.slice(p, end);
      }
      next = p + 1;
    }
    at = cookies.indexOf(name, next);
  }
  return undefined;
}

function isCookieBoundary(c: number): boolean {
  return c === 0x3b /* ; */ || c === 0x2c /* , */ || isCSpace(c);
}

/** C isspace in the C locale. */
function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

// The fields of a request's one access line, capped so that no client can make a line huge.

/** The request URI as logged: at most 300 characters. */
export function shownUri(uri: string): string {
  return uri.length > 300 ? uri.slice(0, 300) + "..." : uri;
}

/** The User-Agent as logged: at most 200 characters; undefined when there is none. */
export function shownAgent(ua: string | null): string | undefined {
  if (ua === null || ua === "") return undefined;
  return ua.length > 200 ? ua.slice(0, 200) + "..." : ua;
}

/** The route as the client sees it: under a mount point (Hono's `/php/*`), `/php` + `/x/` → `/php/x/`. */
export function shownRoute(mount: string, prefix: string): string {
  if (mount === "") return prefix;
  return (mount.endsWith("/") ? mount.slice(0, -1) : mount) + prefix;
}

/** A short random id prefix per gateway (6 hex digits): request ids `PREFIX-N` stay apart across processes. */
export function randomPrefix(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return ((b[0]! << 16) | (b[1]! << 8) | b[2]!).toString(16).padStart(6, "0");
}

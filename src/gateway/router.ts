// ProxyPass-style routing: the FIRST route in configuration order whose prefix matches wins, as in Apache.
import { prefixMatches } from "./prefix.ts";

export interface Routed<R extends { readonly prefix: string }> {
  readonly route: R;
  /** The path after the prefix, appended to the target's path. */
  readonly rest: string;
}

export function matchRoute<R extends { readonly prefix: string }>(routes: readonly R[], path: string): Routed<R> | undefined {
  for (const route of routes) {
    if (prefixMatches(route.prefix, path)) return { route, rest: path.slice(route.prefix.length) };
  }
  return undefined;
}

// The `*` and `?` globs of the hide and expires keys, matched whole (case-sensitive, as file names are).

/** Does `glob` (`*` any run of characters but "/", `?` one) match all of `text`? */
export function globMatches(glob: string, text: string): boolean {
  return compiled(glob).test(text);
}

const cache = new Map<string, RegExp>();

function compiled(glob: string): RegExp {
  let re = cache.get(glob);
  if (re === undefined) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

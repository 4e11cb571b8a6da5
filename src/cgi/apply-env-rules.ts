// Applies a route's extra `env` and its `set-env-if` rules to a built environment (after the standard
// variables, as ProxyFCGISetEnvIf runs after ap_add_cgi_vars). Rules run in order and see earlier rules' effects.
import { asText } from "./byte-string.ts";
import type { CgiEnv } from "./env.ts";
import type { HeaderReader } from "./header-reader.ts";

/** One ProxyFCGISetEnvIf-like rule, compiled. */
export interface SetEnvIfRule {
  readonly if?: { readonly source: "var" | "header"; readonly name: string; readonly matches: RegExp };
  readonly set: ReadonlyArray<readonly [string, string]>;
  readonly unset: readonly string[];
}

/** Adds `extra`, then runs `rules` in order over `env`. */
export function applyEnvRules(
  env: CgiEnv,
  extra: ReadonlyArray<readonly [string, string]>,
  rules: readonly SetEnvIfRule[],
  headers: HeaderReader,
): void {
  for (const [name, value] of extra) env.set(name, value);
  for (const rule of rules) {
    let groups: RegExpExecArray | null = null;
    if (rule.if) {
      // A missing variable or header reads as "" (Apache's reqenv() of an unset variable).
      const subject = rule.if.source === "var" ? asText(env.get(rule.if.name) ?? "") : headers.get(rule.if.name) ?? "";
      groups = rule.if.matches.exec(subject);
      if (!groups) continue; // PR 64365: neither set nor unset when the condition is false
    }
    for (const [name, template] of rule.set) env.set(name, expand(template, groups, env));
    for (const name of rule.unset) env.delete(name);
  }
}

/** `$1`..`$9` from the condition's match, `%{NAME}` from the environment as it stands. */
function expand(template: string, groups: RegExpExecArray | null, env: CgiEnv): string {
  if (!template.includes("$") && !template.includes("%{")) return template;
  return template.replace(/\$(\d)|%\{([^}]+)\}/g, (_, n: string | undefined, name: string | undefined) =>
    n !== undefined ? groups?.[Number(n)] ?? "" : asText(env.get(name!) ?? ""));
}

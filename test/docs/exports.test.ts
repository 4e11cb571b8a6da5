// Every public export has a doc comment: the names the package's entry points export (src/mod.ts and the
// proxy-fcgi/hono, /fetch, /workers entries), followed through re-exports to their declarations, each preceded by
// a /** … */ block. (TypeScript 7 has no compiler API to ask, so the declarations are found in the text.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const ENTRIES = ["mod.ts", "adapters/hono.ts", "adapters/fetch-handler.ts", "adapters/workers/entry.ts"];

const texts = new Map<string, string>();
const read = (file: string): string => {
  let t = texts.get(file);
  if (t === undefined) texts.set(file, (t = readFileSync(file, "utf8")));
  return t;
};

/** The names a module exports, each with the file that declares it (re-exports followed). */
function exportsOf(file: string, seen = new Set<string>()): Map<string, string> {
  const out = new Map<string, string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const text = read(file);
  const dir = path.dirname(file);
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}\s*from\s*"([^"]+)"/gm)) {
    const target = path.resolve(dir, m[2]!);
    const there = exportsOf(target, seen);
    for (const part of m[1]!.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [orig, alias] = part.replace(/^type\s+/, "").split(/\s+as\s+/);
      out.set(alias ?? orig!, there.get(orig!) ?? target);
    }
  }
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\*\s+from\s*"([^"]+)"/gm)) {
    for (const [name, at] of exportsOf(path.resolve(dir, m[1]!), seen)) out.set(name, at);
  }
  for (const m of text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:class|interface|type|function|const|let|enum)\s+([A-Za-z_$][\w$]*)/gm)) {
    out.set(m[1]!, file);
  }
  // `export { a, b };` of local names
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\};/gm)) {
    for (const part of m[1]!.split(",").map((s) => s.trim()).filter(Boolean)) out.set(part.replace(/^type\s+/, "").split(/\s+as\s+/).at(-1)!, file);
  }
  out.delete("default");
  return out;
}

/** Whether `name`'s declaration in `file` has a /** … *\/ block right above it. */
function documented(name: string, file: string): boolean {
  const text = read(file);
  const decl = new RegExp(`^(?:export\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:class|interface|type|function|const|let|enum)\\s+${name.replace(/\$/g, "\\$")}\\b`, "m");
  const m = decl.exec(text);
  if (!m) {
    // Imported and re-exported as a local name: follow the import.
    const imp = new RegExp(`^import\\s+(?:type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}\\s*from\\s*"([^"]+)"`, "m").exec(text);
    return imp !== null && documented(name, path.resolve(path.dirname(file), imp[1]!));
  }
  const before = text.slice(0, m.index).trimEnd();
  return before.endsWith("*/") && before.lastIndexOf("/**") > before.lastIndexOf("*/", before.length - 3);
}

describe("public exports", () => {
  for (const entry of ENTRIES) {
    it(`every name ${entry} exports has a doc comment`, () => {
      const names = exportsOf(path.join(SRC, entry));
      assert.ok(names.size > 0, `${entry} exports nothing?`);
      const missing = [...names].filter(([name, file]) => !documented(name, file)).map(([name, file]) => `${name} (${path.relative(SRC, file)})`);
      assert.deepEqual(missing, [], `undocumented exports:\n${missing.join("\n")}`);
    });
  }

  it("the check refuses an undocumented declaration", () => {
    texts.set("/virtual.ts", "// a line comment is not a doc comment\nexport const bare = 1;\n/** Documented. */\nexport function fine() {}\n");
    assert.equal(documented("bare", "/virtual.ts"), false);
    assert.equal(documented("fine", "/virtual.ts"), true);
    assert.ok(exportsOf(path.join(SRC, "mod.ts")).size > 30);
  });
});

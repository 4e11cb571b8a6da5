// The layers of ../shared/ARCHITECTURE.md, enforced: every import in src/ (static, `export … from`, and dynamic
// import()) must follow the table below, so a change that reaches across the layers fails here. A later folder
// (site/, apps/, admin/) adds its row.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Folder → the folders it may import values from (types: see RANK). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  protocol: [],
  transport: [],
  cgi: ["protocol"],
  platform: ["transport"],
  pool: ["protocol"],
  "fcgi-server": ["protocol", "transport"],
  // The gateway hands a site's requests to it (ARCHITECTURE.md drew site/ above the gateway; the gateway's
  // pipeline calls the site, so the site sits below it and never sees the gateway).
  site: ["cgi", "protocol"],
  gateway: ["protocol", "cgi", "pool", "site"],
  apps: ["platform", "transport", "protocol"],
  admin: ["gateway", "pool", "apps"],
  // Above the core: turn flags and files into plain values, using the core's parsers and defaults.
  config: ["protocol", "cgi", "pool", "gateway", "site", "apps"],
  // The embedded gateway accepts the JSON config's shape, so adapters read config too.
  adapters: ["gateway", "platform", "transport", "config", "cgi"],
  cli: ["config"],
};

/**
 * `import type` may reach any layer of the same or a lower rank: types carry no code, and a layer may name the
 * shapes of the layers under it (the pool names the platform's connector type, the platform the cgi's IsFile).
 */
const RANK: Record<string, number> = {
  protocol: 0, transport: 0, cgi: 1, platform: 1, pool: 2, site: 2, "fcgi-server": 2, gateway: 3,
  apps: 4, admin: 5, config: 6, adapters: 7, cli: 8,
};

/** Root-level leaf files any layer may import: they import nothing of ours. */
const LEAVES = new Set(["bytes.ts", "errors.ts", "connection-info.ts", "version.ts"]);
/** Root-level entry files: they assemble everything. */
const ENTRIES = new Set(["main.ts", "mod.ts"]);

/** The core never imports a runtime-specific module; only transport, platform and adapters may. */
const CORE = new Set(["protocol", "cgi", "pool", "gateway", "site"]);
/** Packages of data only (no code that could ask for a runtime) that the core may import. */
const DATA_PACKAGES = new Set(["mime-db"]);

interface Import { readonly from: string; readonly to: string; readonly typeOnly: boolean; readonly line: number }

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Every import of a file, with whether it is type-only. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const out: Import[] = [];
  const from = path.relative(SRC, file);
  const patterns: Array<[RegExp, (m: RegExpExecArray) => boolean]> = [
    // import … from "x" / export … from "x" (multi-line clauses included)
    [/^\s*(import|export)\s+(type\s+)?([^;"']*?)\s*from\s*["']([^"']+)["']/gm, (m) => m[2] !== undefined || /^\{\s*\}$/.test(m[3]!) ],
    // import "x" (side effects)
    [/^\s*import\s+["']([^"']+)["']/gm, () => false],
    // import("x")
    [/\bimport\(\s*["']([^"']+)["']\s*\)/g, () => false],
  ];
  for (const [re, isType] of patterns) {
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const spec = m[m.length - 1]!;
      const line = text.slice(0, m.index).split("\n").length;
      // `import { type A, type B } from` is type-only too.
      let typeOnly = isType(m);
      if (!typeOnly && m.length >= 4 && m[3] !== undefined) {
        const names = m[3].replace(/^\{|\}$/g, "").split(",").map((s) => s.trim()).filter((s) => s !== "");
        typeOnly = /^\{/.test(m[3].trim()) && names.length > 0 && names.every((n) => n.startsWith("type "));
      }
      out.push({ from, to: spec, typeOnly, line });
    }
  }
  return out;
}

/** The layer of a src-relative path: its first folder, or the root file's name. */
function layerOf(rel: string): string {
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0]! : rel;
}

function violations(): string[] {
  const bad: string[] = [];
  for (const file of files(SRC)) {
    for (const imp of importsOf(file)) {
      const fromLayer = layerOf(imp.from);
      const where = `${imp.from}:${imp.line} → ${imp.to}`;
      if (!imp.to.startsWith(".")) {
        // A package or a runtime module: the core takes none (node:*, cloudflare:*, npm packages).
        if (CORE.has(fromLayer) && !DATA_PACKAGES.has(imp.to)) bad.push(`${where}: the core imports no runtime or package module`);
        continue;
      }
      const target = path.relative(SRC, path.resolve(path.dirname(file), imp.to));
      if (target.startsWith("..")) {
        bad.push(`${where}: outside src/`);
        continue;
      }
      const toLayer = layerOf(target);
      if (toLayer === fromLayer || LEAVES.has(toLayer) || ENTRIES.has(fromLayer)) continue;
      if (LEAVES.has(fromLayer)) {
        bad.push(`${where}: ${fromLayer} is a leaf and imports nothing of ours`);
        continue;
      }
      if (ENTRIES.has(toLayer)) {
        bad.push(`${where}: only the entry files import ${toLayer}`);
        continue;
      }
      const allowed = MAY_IMPORT[fromLayer];
      if (allowed === undefined) {
        bad.push(`${where}: ${fromLayer}/ has no row in the layer table (test/architecture/imports.test.ts)`);
        continue;
      }
      if (allowed.includes(toLayer)) continue;
      if (imp.typeOnly && RANK[toLayer] !== undefined && RANK[toLayer]! <= RANK[fromLayer]!) continue;
      bad.push(`${where}: ${fromLayer}/ may not import ${imp.typeOnly ? "types of " : ""}${toLayer}/`);
    }
  }
  return bad;
}

describe("the layers of src/", () => {
  it("every import follows the layer table", () => {
    const bad = violations();
    assert.deepEqual(bad, [], `imports against the layers:\n${bad.join("\n")}`);
  });

  it("the check sees imports (a sample the table must refuse is refused)", () => {
    // Guards the parser: if it found no imports at all, the test above would pass on anything.
    const all = files(SRC).flatMap(importsOf);
    assert.ok(all.length > 200, `only ${all.length} imports found`);
    assert.ok(all.some((i) => i.from === path.join("gateway", "exchange.ts") && i.to === "../pool/backend-pool.ts" && i.typeOnly));
    assert.ok(all.some((i) => i.from === path.join("platform", "connector.ts") && i.to === "../transport/node.ts" && !i.typeOnly), "dynamic import()s are seen");
    assert.equal(MAY_IMPORT["gateway"]!.includes("adapters"), false);
  });

  it("every folder of src/ has a row", () => {
    for (const name of readdirSync(SRC)) {
      if (statSync(path.join(SRC, name)).isDirectory()) assert.ok(name in MAY_IMPORT, `src/${name}/ has no row in the layer table`);
      else assert.ok(LEAVES.has(name) || ENTRIES.has(name), `src/${name} is neither a leaf nor an entry file`);
    }
  });
});

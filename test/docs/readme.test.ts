// The README's benchmark figures are BENCHMARKS.md's, rendered by scripts/bench/readme-summary.ts: the block
// must be exactly what that renders from the committed page, and the prose around it quotes no figure of its
// own (a number that is not generated can drift from the run).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BEGIN, END, readmeSummary } from "../../scripts/bench/readme-summary.ts";

const read = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), "utf8");

describe("README.md and BENCHMARKS.md", () => {
  const readme = read("README.md");
  const page = read("BENCHMARKS.md");

  it("the performance block is what BENCHMARKS.md renders to", () => {
    const a = readme.indexOf(BEGIN);
    const b = readme.indexOf(END);
    assert.ok(a >= 0 && b > a, "README.md has the bench-summary block");
    assert.equal(readme.slice(a, b + END.length), readmeSummary(page));
  });

  it("the performance section quotes no figure outside the generated block", () => {
    const start = readme.indexOf("\n## Performance\n");
    const end = readme.indexOf("\n## ", start + 5);
    const section = readme.slice(start, end);
    const prose = section.slice(0, section.indexOf(BEGIN)) + section.slice(section.indexOf(END) + END.length);
    const figures = prose.match(/\d[\d.,]*\s*(?:µs|ms|MiB|MB\/s|×|%|req\/s)/g);
    assert.equal(figures, null, `figures outside the block: ${figures?.join(", ")}`);
  });
});

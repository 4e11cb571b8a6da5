// describe() for suites that need a real backend installed on the machine. Missing locally: the suite is
// skipped, and the reason is the name of the one test shown (Deno and Bun print no skip reasons). Missing in
// CI (CI=true): the suite fails, because CI is meant to install every backend (.ci/run).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";

export function describeWithBackend(name: string, missing: string | undefined, fn: () => void): void {
  if (missing === undefined) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has its backend installed", () => {
        assert.fail(`${missing}. CI=true, so this is a failure: CI must install the integration backends.`);
      });
    });
    return;
  }
  describe(name, () => {
    it(`skipped: ${missing}`, { skip: missing }, () => {});
  });
}

// Runtime detection and shim selection.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runtimeConnector } from "../../src/platform/connector.ts";
import { runtimeName } from "../../src/platform/runtime.ts";

// Detected independently of globalThis.Bun / Deno: both runtimes also announce themselves here.
const versions = process.versions as Record<string, string | undefined>;
const expected = versions.bun !== undefined ? "bun" : versions.deno !== undefined ? "deno" : "node";

describe("runtimeName / runtimeConnector", () => {
  it("names the running runtime", () => {
    assert.equal(runtimeName(), expected);
  });

  it("picks that runtime's shim", async () => {
    const connector = await runtimeConnector();
    const shim =
      expected === "bun"
        ? (await import("../../src/transport/bun.ts")).connectBun
        : expected === "deno"
          ? (await import("../../src/transport/deno.ts")).connectDeno
          : (await import("../../src/transport/node.ts")).connectNode;
    assert.equal(connector, shim);
  });
});

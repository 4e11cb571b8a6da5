// Error normalisation: every runtime's failures map onto TransportErrorCode.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toTransportError, transportErrorCode } from "../../src/transport/error-code.ts";
import { TransportError } from "../../src/transport/types.ts";

const withCode = (code: unknown): Error => Object.assign(new Error("boom"), { code });
const named = (name: string): Error => Object.assign(new Error("boom"), { name });

describe("transportErrorCode", () => {
  it("maps errno-style codes (Node, Bun, Deno's .code)", () => {
    const cases: Array<[string, string]> = [
      ["ECONNREFUSED", "ECONNREFUSED"], ["ENOENT", "ENOENT"], ["ETIMEDOUT", "ETIMEDOUT"],
      ["ECONNRESET", "ECONNRESET"], ["ECONNABORTED", "ECONNRESET"], ["EPIPE", "EPIPE"],
      ["EACCES", "EACCES"], ["EPERM", "EACCES"], ["EHOSTUNREACH", "EHOSTUNREACH"],
      ["ENETUNREACH", "ENETUNREACH"], ["EADDRNOTAVAIL", "EADDRNOTAVAIL"], ["ENOTFOUND", "ENOTFOUND"],
      ["EAI_AGAIN", "ENOTFOUND"], ["ERR_STREAM_DESTROYED", "ECLOSED"], ["ERR_SOCKET_CLOSED", "ECLOSED"],
      ["ERR_STREAM_WRITE_AFTER_END", "EPIPE"],
    ];
    for (const [code, expected] of cases) assert.equal(transportErrorCode(withCode(code)), expected, code);
  });

  it("maps Deno error class names, which is all some Deno errors carry", () => {
    const cases: Array<[string, string]> = [
      ["ConnectionRefused", "ECONNREFUSED"], ["NotFound", "ENOENT"], ["TimedOut", "ETIMEDOUT"],
      ["ConnectionReset", "ECONNRESET"], ["ConnectionAborted", "ECONNRESET"], ["BrokenPipe", "EPIPE"],
      ["PermissionDenied", "EACCES"], ["NotCapable", "EACCES"], ["AddrNotAvailable", "EADDRNOTAVAIL"],
      ["NetworkUnreachable", "ENETUNREACH"], ["BadResource", "ECLOSED"], ["Interrupted", "ECLOSED"],
      ["NotConnected", "ECLOSED"],
    ];
    for (const [name, expected] of cases) assert.equal(transportErrorCode(named(name)), expected, name);
  });

  it("prefers .code over the name, and ignores numeric DOMException codes", () => {
    assert.equal(transportErrorCode(Object.assign(named("NotFound"), { code: "ECONNRESET" })), "ECONNRESET");
    assert.equal(transportErrorCode(new DOMException("late", "TimeoutError")), "ETIMEDOUT");
    assert.equal(transportErrorCode(new DOMException("stop", "AbortError")), "EUNKNOWN");
  });

  it("gives EUNKNOWN for anything else", () => {
    for (const value of [new Error("x"), withCode("EWHATEVER"), withCode(42), "ECONNREFUSED", null, undefined, 7]) {
      assert.equal(transportErrorCode(value), "EUNKNOWN");
    }
  });

  it("maps the errors this runtime really throws", async () => {
    // A refused connect through node:net, whichever runtime implements it.
    const { connect } = await import("node:net");
    const err = await new Promise<unknown>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: 1 });
      socket.once("error", (e) => {
        socket.destroy();
        resolve(e);
      });
    });
    assert.equal(transportErrorCode(err), "ECONNREFUSED");
  });
});

describe("toTransportError", () => {
  it("wraps with the cause, the code and the context in the message", () => {
    const cause = withCode("ECONNREFUSED");
    const err = toTransportError(cause, "connecting to 127.0.0.1:9000");
    assert.ok(err instanceof TransportError);
    assert.equal(err.name, "TransportError");
    assert.equal(err.code, "ECONNREFUSED");
    assert.equal(err.cause, cause);
    assert.equal(err.message, "ECONNREFUSED connecting to 127.0.0.1:9000: boom");
  });

  it("passes a TransportError through unchanged", () => {
    const err = new TransportError("EPIPE", "x");
    assert.equal(toTransportError(err, "ctx"), err);
  });

  it("copes with thrown non-errors", () => {
    const err = toTransportError("just a string");
    assert.equal(err.code, "EUNKNOWN");
    assert.equal(err.message, "EUNKNOWN: just a string");
  });
});

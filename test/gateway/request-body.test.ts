// planBody: how a request body reaches FCGI_STDIN (none, inline with the head, streamed, spooled) and what
// CONTENT_LENGTH it gets; 413 and 400 for bodies it refuses. Spooling to "disk" goes to an in-memory TempStore.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { INLINE_MAX, SPOOL_MEMORY, planBody, type BodyOptions, type BodyPlan } from "../../src/gateway/request-body.ts";
import type { ProxyRequest } from "../../src/gateway/messages.ts";
import type { TempFile, TempStore } from "../../src/platform/types.ts";
import { BadRequest, PayloadTooLarge } from "../../src/errors.ts";
import { concat } from "../helpers/bytes.ts";
import { within } from "../helpers/memory-conn.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const KiB = 1024;
const MiB = 1024 * 1024;

/** planBody's answer, bounded: a unit that stops reading fails its test instead of hanging it. */
function settle(...args: Parameters<typeof planBody>): Promise<BodyPlan> {
  return within(Promise.resolve(planBody(...args)), 1000, "planBody");
}

const OPTS: BodyOptions = { maxBody: 10 * MiB, buffering: "spool", tempStore: undefined, memoryOnlyCap: MiB };

/** A body stream that yields `chunks` one pull at a time and remembers whether it was cancelled. */
function body(chunks: Uint8Array[]) {
  const state = { cancelled: false, pulls: 0 };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** A plain ProxyRequest (not a Fetch Request). */
function request(headers: Record<string, string>, stream: ReadableStream<Uint8Array> | null): ProxyRequest {
  return { method: "POST", url: "http://gateway.test/x.php", headers: new Headers(headers), body: stream };
}

/** `n` bytes of a repeating pattern, so misordered chunks would show. */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function readStream(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = s.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(chunks);
    chunks.push(value);
  }
}

/** An in-memory TempStore that keeps every file it opened for inspection. */
function memoryTempStore() {
  const files: Array<{ chunks: Uint8Array[]; disposed: boolean; read: boolean }> = [];
  const store: TempStore = async () => {
    const f = { chunks: [] as Uint8Array[], disposed: false, read: false };
    files.push(f);
    const file: TempFile = {
      async write(chunk) {
        if (f.disposed) throw new Error("write after dispose");
        f.chunks.push(chunk.slice());
      },
      readable() {
        if (f.read) throw new Error("readable() twice");
        f.read = true;
        let i = 0;
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            if (i < f.chunks.length) controller.enqueue(f.chunks[i++]!);
            else {
              f.disposed = true;
              controller.close();
            }
          },
          cancel() {
            f.disposed = true;
          },
        });
      },
      async dispose() {
        f.disposed = true;
      },
    };
    return file;
  };
  return { store, files };
}

function assertInline(plan: BodyPlan, text: string): void {
  assert.equal(plan.kind, "inline");
  if (plan.kind !== "inline") return;
  assert.equal(plan.length, enc(text).length);
  assert.equal(dec(plan.bytes), text);
}

describe("planBody: no body and empty bodies", () => {
  it("no body and no Content-Length: none, decided synchronously", () => {
    const plan = planBody(request({}, null), OPTS);
    assert.ok(!(plan instanceof Promise), "a request without a body needs no promise");
    assert.deepEqual({ ...plan }, { kind: "none", length: undefined });
  });

  it("a Fetch GET Request without a body: none", () => {
    const plan = planBody(new Request("http://gateway.test/x.php"), OPTS);
    assert.ok(!(plan instanceof Promise));
    assert.equal(plan.kind, "none");
    assert.equal(plan.length, undefined);
  });

  it("Content-Length: 0 without a body stream: an empty inline body (CONTENT_LENGTH=0)", () => {
    const plan = planBody(request({ "content-length": "0" }, null), OPTS);
    assert.ok(!(plan instanceof Promise));
    assertInline(plan, "");
  });

  it("Content-Length: 0 with an empty stream: an empty inline body", async () => {
    assertInline(await settle(request({ "content-length": "0" }, body([]).stream), OPTS), "");
  });

  it("an empty stream with neither header is no body; with Transfer-Encoding it is an empty one", async () => {
    const none = await settle(request({}, body([new Uint8Array(0)]).stream), OPTS);
    assert.equal(none.kind, "none");
    assert.equal(none.length, undefined);
    const chunked = await settle(request({ "transfer-encoding": "chunked" }, body([]).stream), OPTS);
    assertInline(chunked, "");
  });
});

describe("planBody: known length", () => {
  it("a small body is read whole and sent inline", async () => {
    const { stream, state } = body([enc("he"), enc("llo")]);
    assertInline(await settle(request({ "content-length": "5" }, stream), OPTS), "hello");
    assert.equal(state.cancelled, false);
  });

  it("INLINE_MAX bytes are still inline; one more streams the untouched body", async () => {
    const at = await settle(request({ "content-length": String(INLINE_MAX) }, body([pattern(INLINE_MAX)]).stream), OPTS);
    assert.equal(at.kind, "inline");
    assert.equal(at.length, INLINE_MAX);

    const big = pattern(INLINE_MAX + 1);
    const { stream, state } = body([big.subarray(0, 1000), big.subarray(1000)]);
    const plan = await settle(request({ "content-length": String(big.length) }, stream), OPTS);
    assert.equal(plan.kind, "stream");
    if (plan.kind !== "stream") return;
    assert.equal(plan.length, big.length);
    assert.equal(plan.max, big.length, "a declared length is also the most the stream may carry");
    assert.equal(plan.source, stream, "the client's stream itself, not a copy");
    assert.equal(state.pulls, 0, "nothing was read before connecting");
    assert.deepEqual(await within(readStream(plan.source)), big);
  });

  it("a declared length over max-body is 413 and the body is cancelled unread", async () => {
    const { stream, state } = body([pattern(100)]);
    await assert.rejects(
      settle(request({ "content-length": "101" }, stream), { ...OPTS, maxBody: 100 }),
      (e: unknown) => e instanceof PayloadTooLarge && e.status === 413 && /101/.test(e.message),
    );
    assert.equal(state.cancelled, true);
  });

  it("a declared length of exactly max-body is accepted", async () => {
    const plan = await settle(request({ "content-length": "100" }, body([pattern(100)]).stream), { ...OPTS, maxBody: 100 });
    assert.equal(plan.kind, "inline");
    assert.equal(plan.length, 100);
  });

  it("a body longer than its Content-Length is 400", async () => {
    const { stream, state } = body([enc("hello"), enc(" world")]);
    await assert.rejects(
      settle(request({ "content-length": "5" }, stream), OPTS),
      (e: unknown) => e instanceof BadRequest && e.status === 400 && /longer/.test(e.message),
    );
    assert.equal(state.cancelled, true);
  });

  it("a body shorter than its Content-Length is 400", async () => {
    await assert.rejects(
      settle(request({ "content-length": "10" }, body([enc("hello")]).stream), OPTS),
      (e: unknown) => e instanceof BadRequest && /5 of 10/.test(e.message),
    );
  });

  for (const bad of ["abc", "-1", "1.5", "1e3", "12 34", "5, 5", "0x10", "1234567890123456"]) {
    it(`Content-Length ${JSON.stringify(bad)} is a BadRequest`, () => {
      for (const stream of [null, body([enc("hello")]).stream]) {
        assert.throws(() => planBody(request({ "content-length": bad }, stream), OPTS), (e: unknown) => e instanceof BadRequest && e.status === 400);
      }
    });
  }
});

describe("planBody: unknown length (chunked)", () => {
  it("is spooled in memory and sent with its exact length", async () => {
    const { stream, state } = body([new Uint8Array(0), enc("chunk one, "), enc("chunk two, "), enc("three")]);
    assertInline(await settle(request({ "transfer-encoding": "chunked" }, stream), OPTS), "chunk one, chunk two, three");
    assert.equal(state.cancelled, false);
  });

  it("works from a Fetch Request with a streamed body", async () => {
    const req = new Request("http://gateway.test/x.php", {
      method: "POST",
      body: body([enc("from "), enc("fetch")]).stream,
      duplex: "half",
    } as RequestInit);
    assertInline(await settle(req, OPTS), "from fetch");
  });

  it("over max-body while spooling in memory: 413 and the body is cancelled", async () => {
    const { stream, state } = body([pattern(60), pattern(60)]);
    await assert.rejects(
      settle(request({}, stream), { ...OPTS, maxBody: 100 }),
      (e: unknown) => e instanceof PayloadTooLarge && e.status === 413,
    );
    assert.equal(state.cancelled, true);
  });

  it("without a temp store the memory cap bounds the spool below max-body", async () => {
    const { stream } = body([pattern(600), pattern(600)]);
    await assert.rejects(
      settle(request({}, stream), { ...OPTS, maxBody: 10 * MiB, memoryOnlyCap: 1000 }),
      (e: unknown) => e instanceof PayloadTooLarge,
    );
    // Exactly at the cap is fine.
    const ok = await settle(request({}, body([pattern(500), pattern(500)]).stream), { ...OPTS, memoryOnlyCap: 1000 });
    assert.equal(ok.kind, "inline");
    assert.equal(ok.length, 1000);
  });

  it("with a temp store, a body up to SPOOL_MEMORY stays in memory", async () => {
    const temp = memoryTempStore();
    const plan = await settle(request({}, body([pattern(SPOOL_MEMORY)]).stream), { ...OPTS, tempStore: temp.store });
    assert.equal(plan.kind, "inline");
    assert.equal(plan.length, SPOOL_MEMORY);
    assert.equal(temp.files.length, 0);
  });

  it("beyond SPOOL_MEMORY it moves to the temp store and streams back with its exact length", async () => {
    const temp = memoryTempStore();
    const chunks = [0, 1, 2, 3, 4].map((i) => pattern(256 * KiB, i));
    const total = 5 * 256 * KiB;
    const plan = await settle(request({}, body(chunks).stream), { ...OPTS, tempStore: temp.store });
    assert.equal(plan.kind, "stream");
    if (plan.kind !== "stream") return;
    assert.equal(plan.length, total);
    assert.equal(plan.max, total);
    assert.equal(temp.files.length, 1, "one temp file");
    assert.deepEqual(concat(temp.files[0]!.chunks), concat(chunks), "every byte, in order, went to the file");
    assert.deepEqual(await within(readStream(plan.source)), concat(chunks));
    assert.equal(temp.files[0]!.disposed, true, "reading it to the end disposes the file");
  });

  it("over max-body after moving to the temp store: 413 and the file is disposed", async () => {
    const temp = memoryTempStore();
    const { stream, state } = body([0, 1, 2, 3, 4, 5, 6, 7].map((i) => pattern(256 * KiB, i)));
    await assert.rejects(
      settle(request({}, stream), { ...OPTS, maxBody: 1.5 * MiB, tempStore: temp.store }),
      (e: unknown) => e instanceof PayloadTooLarge && e.status === 413,
    );
    assert.equal(temp.files.length, 1);
    assert.equal(temp.files[0]!.disposed, true);
    assert.equal(state.cancelled, true);
  });

  it("request-buffering=stream streams it without a length, first chunk included", async () => {
    const temp = memoryTempStore();
    const { stream } = body([new Uint8Array(0), enc("first "), enc("second")]);
    const plan = await settle(request({ "transfer-encoding": "chunked" }, stream), { ...OPTS, buffering: "stream", maxBody: 1234, tempStore: temp.store });
    assert.equal(plan.kind, "stream");
    if (plan.kind !== "stream") return;
    assert.equal(plan.length, undefined, "no CONTENT_LENGTH");
    assert.equal(plan.max, 1234, "max-body bounds the stream");
    assert.equal(dec(await within(readStream(plan.source))), "first second");
    assert.equal(temp.files.length, 0);
  });

  it("request-buffering=stream: cancelling the planned stream cancels the client's body", async () => {
    const { stream, state } = body([enc("first "), enc("second")]);
    const plan = await settle(request({}, stream), { ...OPTS, buffering: "stream" });
    assert.equal(plan.kind, "stream");
    if (plan.kind !== "stream") return;
    await within(plan.source.cancel("client gone"));
    assert.equal(state.cancelled, true);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FCGI_HEADER_LEN, MAX_RECORD_CONTENT, paddingFor, RecordType, writeHeader } from "../../src/protocol/index.ts";

describe("paddingFor", () => {
  it("pads every length up to the next multiple of 8", () => {
    for (let n = 0; n <= 70000; n++) {
      const p = paddingFor(n);
      assert.ok(p >= 0 && p < 8, `padding ${p} for ${n}`);
      assert.equal((n + p) % 8, 0, `length ${n}`);
    }
    assert.deepEqual([0, 1, 7, 8, 9, 65528, 65529].map(paddingFor), [0, 7, 1, 0, 7, 0, 7]);
  });
  it("MAX_RECORD_CONTENT plus its padding fits the 16-bit length", () => {
    assert.equal(MAX_RECORD_CONTENT % 8, 0);
    assert.ok(MAX_RECORD_CONTENT + 7 + 1 > 65535, "the next record size up would not fit once padded");
  });
});

describe("writeHeader", () => {
  it("writes the 8 bytes of FCGI_Header at an offset", () => {
    const buf = new Uint8Array(12).fill(0xaa);
    const end = writeHeader(buf, 2, RecordType.STDOUT, 0x1234, 0xfedc, 4);
    assert.equal(end, 2 + FCGI_HEADER_LEN);
    assert.deepEqual(buf, Uint8Array.from([0xaa, 0xaa, 1, 6, 0x12, 0x34, 0xfe, 0xdc, 4, 0, 0xaa, 0xaa]));
  });
  it("refuses lengths it would have to truncate", () => {
    const buf = new Uint8Array(8);
    assert.throws(() => writeHeader(buf, 0, 6, 1, 65536, 0), RangeError);
    assert.throws(() => writeHeader(buf, 0, 6, 1, -1, 0), RangeError);
    assert.throws(() => writeHeader(buf, 0, 6, 1, 1.5, 0), RangeError);
    assert.throws(() => writeHeader(buf, 0, 6, 1, 8, 256), RangeError);
    assert.throws(() => writeHeader(buf, 0, 6, 65536, 8, 0), RangeError);
    assert.throws(() => writeHeader(buf, 1, 6, 1, 8, 0), RangeError, "no room");
    assert.equal(writeHeader(buf, 0, 6, 65535, 65535, 255), 8);
    assert.deepEqual(buf, Uint8Array.from([1, 6, 255, 255, 255, 255, 255, 0]));
  });
});

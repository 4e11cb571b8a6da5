import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CgiHeadParser,
  DEFAULT_HEAD_LIMITS,
  type CgiHead,
  type HeadLimits,
} from "../../src/cgi/response-head.ts";
import { statusText } from "../../src/cgi/status-text.ts";
import { InvalidHeadError } from "../../src/errors.ts";

/** latin1 encoding: one byte per char, so tests can spell any byte as \xNN. */
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

/** Pushes pieces until the head is complete; the body is the remainder plus the later pieces. */
function feed(pieces: Uint8Array[], limits?: HeadLimits): { head: CgiHead; body: Uint8Array } {
  const parser = new CgiHeadParser(limits);
  for (let i = 0; i < pieces.length; i++) {
    const r = parser.push(pieces[i]!);
    if (r !== undefined) return { head: r.head, body: concat([r.body, ...pieces.slice(i + 1)]) };
  }
  assert.fail(`head incomplete after ${parser.buffered} bytes`);
}

const parse = (s: string, limits?: HeadLimits) => feed([bytes(s)], limits).head;

/** Asserts that feeding `s` in one push fails, with a reason matching `re`. */
function rejects(s: string, re: RegExp, limits?: HeadLimits): InvalidHeadError {
  const parser = new CgiHeadParser(limits);
  let caught: unknown;
  try {
    parser.push(bytes(s));
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InvalidHeadError, `expected InvalidHeadError for ${JSON.stringify(s)}, got ${String(caught)}`);
  assert.match(caught.reason, re);
  assert.match(caught.message, re);
  assert.equal(caught.name, "InvalidHeadError");
  return caught;
}

const PHP_HEAD =
  "X-Powered-By: PHP/8.3.6\r\n" +
  "Set-Cookie: PHPSESSID=abc123; path=/\r\n" +
  "Set-Cookie: theme=dark; Max-Age=3600\r\n" +
  "Expires: Thu, 19 Nov 1981 08:52:00 GMT\r\n" +
  "Cache-Control: no-store, no-cache, must-revalidate\r\n" +
  "Content-Length: 38\r\n" +
  "Content-type: text/html; charset=UTF-8\r\n" +
  "\r\n";
const PHP_BODY = "<html><body>Hello, world\r\n\r\n</body>\n";
const PHP_EXPECTED: CgiHead = {
  status: 200,
  statusText: "OK",
  headers: [
    ["X-Powered-By", "PHP/8.3.6"],
    ["Set-Cookie", "PHPSESSID=abc123; path=/"],
    ["Set-Cookie", "theme=dark; Max-Age=3600"],
    ["Expires", "Thu, 19 Nov 1981 08:52:00 GMT"],
    ["Cache-Control", "no-store, no-cache, must-revalidate"],
    ["Content-type", "text/html; charset=UTF-8"],
  ],
};

describe("CgiHeadParser: line endings and splitting", () => {
  const expected: CgiHead = { status: 200, statusText: "OK", headers: [["A", "1"], ["B", "2"]] };
  for (const [style, text] of [
    ["LF", "A: 1\nB: 2\n\n"],
    ["CRLF", "A: 1\r\nB: 2\r\n\r\n"],
    ["CRLF then LF", "A: 1\r\nB: 2\r\n\n"],
    ["LF then CRLF", "A: 1\nB: 2\n\r\n"],
    ["mixed per line", "A: 1\nB: 2\r\n\r\n"],
  ] as const) {
    it(`ends the head on ${style}`, () => {
      const r = feed([bytes(text + "body\r\n\n")]);
      assert.deepEqual(r.head, expected);
      assert.deepEqual(r.body, bytes("body\r\n\n"));
    });
  }

  it("finds a blank line split across pushes at any byte", () => {
    for (const pieces of [
      ["A: 1\r\n\r", "\nbody"],
      ["A: 1\n", "\r\nbody"],
      ["A: 1\n", "\r", "\nbody"],
      ["A: 1\r", "\n", "\r", "\n", "body"],
      ["A: 1\n", "\nbody"],
      ["A: 1\r\n", "\n", "body"],
    ]) {
      const r = feed(pieces.map(bytes));
      assert.deepEqual(r.head, { status: 200, statusText: "OK", headers: [["A", "1"]] }, JSON.stringify(pieces));
      assert.deepEqual(r.body, bytes("body"), JSON.stringify(pieces));
    }
  });

  it("gives the same result for every split point of a realistic head and body", () => {
    const all = bytes(PHP_HEAD + PHP_BODY);
    const whole = feed([all]);
    assert.deepEqual(whole.head, PHP_EXPECTED);
    assert.deepEqual(whole.body, bytes(PHP_BODY));
    for (let i = 0; i <= all.length; i++) {
      const r = feed([all.subarray(0, i), all.subarray(i)]);
      assert.deepEqual(r, whole, `split at ${i}`);
    }
  });

  it("gives the same result for every pair of split points", () => {
    const all = bytes(PHP_HEAD + PHP_BODY);
    const whole = feed([all]);
    for (let i = 0; i <= all.length; i++) {
      for (let j = i; j <= all.length; j++) {
        const r = feed([all.subarray(0, i), all.subarray(i, j), all.subarray(j)]);
        assert.deepEqual(r, whole, `split at ${i}, ${j}`);
      }
    }
  });

  it("gives the same result fed one byte at a time", () => {
    const all = bytes(PHP_HEAD + PHP_BODY);
    const pieces = Array.from(all, (_, i) => all.subarray(i, i + 1));
    assert.deepEqual(feed(pieces), feed([all]));
  });

  it("returns the body remainder as a view of the pushed chunk", () => {
    const backing = bytes("XXXX" + PHP_HEAD + PHP_BODY + "YYYY");
    const chunk = backing.subarray(4, backing.length - 4); // a view with an offset, like a record payload
    const r = new CgiHeadParser().push(chunk);
    assert.ok(r !== undefined);
    assert.equal(r.body.buffer, backing.buffer);
    assert.equal(r.body.byteOffset, 4 + PHP_HEAD.length);
    assert.deepEqual(r.body, bytes(PHP_BODY));
  });

  it("returns an empty body when the chunk ends at the blank line", () => {
    const r = new CgiHeadParser().push(bytes("A: 1\r\n\r\n"));
    assert.ok(r !== undefined);
    assert.equal(r.body.length, 0);
  });

  it("returns undefined until the blank line and counts the bytes buffered", () => {
    const parser = new CgiHeadParser();
    assert.equal(parser.buffered, 0);
    assert.equal(parser.push(new Uint8Array(0)), undefined);
    assert.equal(parser.push(bytes("A: 1\r\nB: ")), undefined);
    assert.equal(parser.buffered, 9);
    assert.equal(parser.push(bytes("2\r\n")), undefined);
    assert.equal(parser.buffered, 12);
    assert.ok(parser.push(bytes("\r\n")) !== undefined);
  });

  it("treats a head that is just a blank line as 200 with no headers", () => {
    for (const text of ["\r\n", "\n"]) {
      const r = feed([bytes(text + "hi")]);
      assert.deepEqual(r.head, { status: 200, statusText: "OK", headers: [] });
      assert.deepEqual(r.body, bytes("hi"));
    }
  });

  it("refuses to be pushed after the head or after an error", () => {
    const done = new CgiHeadParser();
    assert.ok(done.push(bytes("\n")) !== undefined);
    assert.throws(() => done.push(bytes("more")), (e) => e instanceof Error && !(e instanceof InvalidHeadError));
    const failed = new CgiHeadParser();
    assert.throws(() => failed.push(bytes("nonsense\n")), InvalidHeadError);
    assert.throws(() => failed.push(bytes("A: 1\n\n")), (e) => e instanceof Error && !(e instanceof InvalidHeadError));
  });
});

describe("CgiHeadParser: fields", () => {
  it("keeps Set-Cookie and other repeated fields as separate entries in order", () => {
    const head = parse("Set-Cookie: a=1\r\nVary: Accept\r\nSet-Cookie: b=2\r\nVary: Cookie\r\nset-cookie: c=3\r\n\r\n");
    assert.deepEqual(head.headers, [
      ["Set-Cookie", "a=1"],
      ["Vary", "Accept"],
      ["Set-Cookie", "b=2"],
      ["Vary", "Cookie"],
      ["set-cookie", "c=3"],
    ]);
  });

  it("trims spaces and tabs around values and keeps empty values", () => {
    const head = parse("A:   x y \t\r\nB:\t\tz\r\nC:\r\nD: \t \r\n\r\n");
    assert.deepEqual(head.headers, [["A", "x y"], ["B", "z"], ["C", ""], ["D", ""]]);
  });

  it("keeps the rest of a value after its first colon", () => {
    assert.deepEqual(parse("Link: <http://x/a:b>; rel=x\n\n").headers, [["Link", "<http://x/a:b>; rel=x"]]);
  });

  it("keeps bytes >= 0x80 as latin1 characters that Headers accepts", () => {
    const head = parse("X-Name: caf\xe9 \x80\x9f\xff\r\n\r\n");
    assert.deepEqual(head.headers, [["X-Name", "caf\u00e9 \u0080\u009f\u00ff"]]);
    assert.equal(new Headers(head.headers).get("x-name"), "caf\u00e9 \u0080\u009f\u00ff");
  });

  it("drops framing and hop-by-hop fields, whatever their case", () => {
    const head = parse(
      "Content-Length: 5\r\ntransfer-encoding: chunked\r\nCONNECTION: close\r\nKeep-Alive: timeout=5\r\n" +
        "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\n" +
        "X-Kept: 1\r\nContent-Type: text/plain\r\nContent-Length-X: 2\r\nTEX: 3\r\n\r\n",
    );
    assert.deepEqual(head.headers, [["X-Kept", "1"], ["Content-Type", "text/plain"], ["Content-Length-X", "2"], ["TEX", "3"]]);
  });

  it("accepts every token character in names", () => {
    const name = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    assert.deepEqual(parse(`${name}: v\n\n`).headers, [[name, "v"]]);
  });
});

describe("CgiHeadParser: Status and Location", () => {
  it("takes the status code and reason phrase from Status and does not pass Status on", () => {
    assert.deepEqual(parse("Status: 404 Not Here\r\nX-A: 1\r\n\r\n"), { status: 404, statusText: "Not Here", headers: [["X-A", "1"]] });
  });

  it("uses the standard reason when Status has none", () => {
    assert.deepEqual(parse("status: 503\r\n\r\n"), { status: 503, statusText: "Service Unavailable", headers: [] });
    assert.deepEqual(parse("STATUS: 201  \r\n\r\n"), { status: 201, statusText: "Created", headers: [] });
  });

  it("uses an empty reason for an unregistered code", () => {
    assert.deepEqual(parse("Status: 299\n\n"), { status: 299, statusText: "", headers: [] });
  });

  it("keeps a reason phrase with inner spaces and tabs", () => {
    assert.equal(parse("Status: 200  All\tgood now \r\n\r\n").statusText, "All\tgood now");
  });

  it("answers 302 for a Location without Status", () => {
    for (const target of ["https://example.com/next", "/local/path?q=1"]) {
      const head = parse(`X-A: 1\r\nLocation: ${target}\r\n\r\n`);
      assert.deepEqual(head, { status: 302, statusText: "Found", headers: [["X-A", "1"], ["Location", target]] });
    }
  });

  it("never overrides an explicit Status with Location", () => {
    const expected: CgiHead = { status: 201, statusText: "Created", headers: [["Location", "/items/7"]] };
    assert.deepEqual(parse("Status: 201\r\nLocation: /items/7\r\n\r\n"), expected);
    assert.deepEqual(parse("Location: /items/7\r\nStatus: 201\r\n\r\n"), expected);
    assert.equal(parse("Location: /x\nStatus: 200 OK\n\n").status, 200);
  });

  it("does not redirect on an empty Location", () => {
    assert.equal(parse("Location:\r\n\r\n").status, 200);
  });

  it("rejects a Status that is not exactly three digits", () => {
    for (const v of ["abc", "20", "2000", "20x", "200OK", "-200", "+20", "2 00", ""]) {
      rejects(`Status: ${v}\r\n\r\n`, /Status .*three-digit/);
    }
  });

  it("rejects 1xx and codes above 599", () => {
    for (const v of ["100", "101 Switching Protocols", "199", "099", "000", "600", "999 Nope"]) {
      rejects(`Status: ${v}\r\n\r\n`, /out of range 200-599/);
    }
  });

  it("rejects a second Status and a non-ASCII reason", () => {
    rejects("Status: 200\r\nStatus: 404\r\n\r\n", /second Status/);
    rejects("Status: 200 D\xe9j\xe0 vu\r\n\r\n", /reason .* not ASCII/);
  });
});

describe("CgiHeadParser: invalid heads", () => {
  it("rejects a line without a colon", () => {
    rejects("X-A: 1\r\nHTTP/1.1 200 OK\r\n\r\n", /line 2: no colon in "HTTP\/1.1 200 OK"/);
    rejects("<html>\n\n", /no colon/);
  });

  it("rejects header names that are not tokens", () => {
    rejects(": v\r\n\r\n", /empty header name/);
    rejects("X Foo: v\r\n\r\n", /header name "X Foo" has invalid byte 0x20/);
    rejects("X-Foo : v\r\n\r\n", /invalid byte 0x20/);
    rejects("X\x01Foo: v\r\n\r\n", /header name "X\\x01Foo" has invalid byte 0x01/);
    rejects("X-F\xe9e: v\r\n\r\n", /invalid byte 0xe9/);
    rejects("X(Foo): v\r\n\r\n", /invalid byte 0x28/);
    rejects("X\rFoo: v\r\n\r\n", /invalid byte 0x0d/);
  });

  it("rejects NUL, bare CR and other control bytes in values", () => {
    rejects("X-A: a\x00b\r\n\r\n", /NUL in the value of "X-A"/);
    rejects("X-A: a\rb\r\n\r\n", /bare CR in the value of "X-A"/);
    rejects("X-A: ab\r\r\n\r\n", /bare CR/);
    rejects("X-A: a\rSet-Cookie: evil=1\n\n", /bare CR/);
    rejects("X-A: a\x01b\r\n\r\n", /control byte 0x01/);
    rejects("X-A: a\x7fb\r\n\r\n", /control byte 0x7f/);
  });

  it("rejects a bare CR that arrives in its own push", () => {
    const parser = new CgiHeadParser();
    assert.equal(parser.push(bytes("X-A: a\r")), undefined);
    assert.throws(() => parser.push(bytes("b\r\n\r\n")), (e) => e instanceof InvalidHeadError && /bare CR/.test(e.reason));
  });

  it("rejects folded continuation lines", () => {
    rejects("X-A: 1\r\n  more\r\n\r\n", /line 2: folded continuation line/);
    rejects("X-A: 1\r\n\tmore\r\n\r\n", /folded continuation line/);
    rejects(" X-A: 1\r\n\r\n", /folded continuation line/);
  });

  it("renders hostile bytes safely in reasons", () => {
    const err = rejects("\x1b[31m\\evil\n\n", /no colon/);
    assert.equal(err.reason, 'line 1: no colon in "\\x1b[31m\\x5cevil"');
    const long = rejects("x".repeat(200) + "\n\n", /no colon/);
    assert.ok(long.reason.length < 100, long.reason);
    assert.ok(long.reason.endsWith('..."'), long.reason);
  });
});

describe("CgiHeadParser: limits", () => {
  it("has the documented defaults", () => {
    assert.deepEqual({ ...DEFAULT_HEAD_LIMITS }, { maxLine: 8192, maxHead: 65536 });
  });

  it("accepts a line of exactly maxLine bytes, with LF or CR LF", () => {
    const line = "X-Big: " + "a".repeat(8192 - 7);
    assert.equal(parse(`${line}\n\n`).headers[0]![1].length, 8185);
    assert.equal(parse(`${line}\r\n\r\n`).headers[0]![1].length, 8185);
  });

  it("rejects a line one byte over maxLine, naming the limit", () => {
    const err = rejects("X-Big: " + "a".repeat(8192 - 6) + "\r\n\r\n", /maxLine \(8192 bytes\)/);
    assert.equal(err.limit, "line");
  });

  it("does not count the CR of a CR LF split from its LF against maxLine", () => {
    const limits = { maxLine: 10, maxHead: 100 };
    const r = feed([bytes("X: 1234567\r"), bytes("\n\r"), bytes("\nok")], limits);
    assert.deepEqual(r.head.headers, [["X", "1234567"]]);
    assert.deepEqual(r.body, bytes("ok"));
  });

  it("accepts a head of exactly maxHead bytes and rejects one more", () => {
    const limits = { maxLine: 100, maxHead: 20 };
    const head = "A: 12345\r\nB: 1234\r\n\r\n"; // 10 + 9 + 2 = 21 bytes
    assert.equal(rejects(head, /maxHead \(20 bytes\)/, limits).limit, "head");
    assert.deepEqual(parse(head.replace("1234\r", "123\r"), limits).headers, [["A", "12345"], ["B", "123"]]);
  });

  it("rejects the default maxHead, naming it", () => {
    const line = "X-Filler: " + "f".repeat(990) + "\r\n"; // 1002 bytes
    const err = rejects(line.repeat(66) + "\r\n", /maxHead \(65536 bytes\)/);
    assert.equal(err.limit, "head");
    assert.deepEqual(parse(line.repeat(65) + "\r\n").headers.length, 65);
  });

  it("fails as soon as a backend streaming 100 KiB without LF passes maxLine", () => {
    const parser = new CgiHeadParser();
    const piece = bytes("a".repeat(512));
    let pushed = 0;
    let caught: unknown;
    assert.equal(parser.push(bytes("X-Big: ")), undefined);
    pushed += 7;
    for (; pushed < 100 * 1024; pushed += piece.length) {
      try {
        assert.equal(parser.push(piece), undefined);
      } catch (err) {
        caught = err;
        pushed += piece.length;
        break;
      }
    }
    assert.ok(caught instanceof InvalidHeadError);
    assert.equal(caught.limit, "line");
    assert.ok(pushed > 8192 && pushed <= 8192 + piece.length, `failed after ${pushed} bytes`);
    assert.ok(parser.buffered <= 8193, `buffered ${parser.buffered}`);
  });

  it("fails as soon as a backend streaming short lines passes maxHead", () => {
    const limits = { maxLine: 8192, maxHead: 4096 };
    const parser = new CgiHeadParser(limits);
    const piece = bytes("X-Line: 123456789\r\n".repeat(5)); // 95 bytes
    let pushed = 0;
    let caught: unknown;
    for (; pushed < 100 * 1024; ) {
      try {
        pushed += piece.length;
        assert.equal(parser.push(piece), undefined);
      } catch (err) {
        caught = err;
        break;
      }
    }
    assert.ok(caught instanceof InvalidHeadError);
    assert.equal(caught.limit, "head");
    assert.ok(pushed > 4096 && pushed <= 4096 + piece.length, `failed after ${pushed} bytes`);
  });

  it("applies maxHead to a partial line too", () => {
    const parser = new CgiHeadParser({ maxLine: 1000, maxHead: 50 });
    assert.equal(parser.push(bytes("A: 1\r\n")), undefined);
    assert.equal(parser.push(bytes("B: " + "b".repeat(41))), undefined); // 6 + 44 = 50
    assert.throws(() => parser.push(bytes("b")), (e) => e instanceof InvalidHeadError && e.limit === "head");
  });

  it("rejects invalid limits", () => {
    assert.throws(() => new CgiHeadParser({ maxLine: 0, maxHead: 10 }), RangeError);
    assert.throws(() => new CgiHeadParser({ maxLine: 10, maxHead: Number.NaN }), RangeError);
    assert.throws(() => new CgiHeadParser({ maxLine: 1.5, maxHead: 10 }), RangeError);
  });
});

describe("statusText", () => {
  it("knows the standard reasons and answers empty for others", () => {
    assert.equal(statusText(200), "OK");
    assert.equal(statusText(302), "Found");
    assert.equal(statusText(404), "Not Found");
    assert.equal(statusText(413), "Content Too Large");
    assert.equal(statusText(502), "Bad Gateway");
    assert.equal(statusText(299), "");
    assert.equal(statusText(418), "");
  });
});

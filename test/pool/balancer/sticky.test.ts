// Session-route parsing. The expected values were checked against Apache 2.4 (see apache-diff.test.ts),
// quirks included.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cookieValue, findSessionRoute, parseStickySession, pathParam } from "../../../src/pool/balancer/sticky.ts";

describe("stickysession names", () => {
  it("one name serves cookie and URL parameter; COOKIE|PARAM splits at the first |", () => {
    assert.deepEqual(parseStickySession("JSESSIONID"), { cookie: "JSESSIONID", param: "JSESSIONID" });
    assert.deepEqual(parseStickySession("JSESSIONID|jsessionid"), { cookie: "JSESSIONID", param: "jsessionid" });
    assert.deepEqual(parseStickySession("A|B|C"), { cookie: "A", param: "B|C" });
  });

  it("an empty cookie name means no sticky sessions", () => {
    assert.equal(parseStickySession(""), undefined);
    assert.equal(parseStickySession("|jsessionid"), undefined);
  });
});

describe("session value in the URL (get_path_param)", () => {
  it("takes the value after name= up to ? or &, and ; with scolonpathdelim", () => {
    assert.equal(pathParam("/x?jsessionid=abc.n2", "jsessionid", false), "abc.n2");
    assert.equal(pathParam("/x?a=1&jsessionid=abc.n2&b", "jsessionid", false), "abc.n2");
    assert.equal(pathParam("/x;jsessionid=abc.n1?q=1", "jsessionid", false), "abc.n1");
    assert.equal(pathParam("/x;jsessionid=abc.n1;foo", "jsessionid", false), "abc.n1;foo");
    assert.equal(pathParam("/x;jsessionid=abc.n1;foo", "jsessionid", true), "abc.n1");
    assert.equal(pathParam("/x;jsessionid=abc.n1/y", "jsessionid", false), "abc.n1/y");
  });

  it("is case-sensitive and checks no boundary before the name", () => {
    assert.equal(pathParam("/x?JSESSIONID=abc.n2", "jsessionid", false), undefined);
    assert.equal(pathParam("/x?xjsessionid=abc.n2", "jsessionid", false), "abc.n2");
  });

  it("skips delimiters right after = (strtok) and gives up when only delimiters follow", () => {
    assert.equal(pathParam("/x?jsessionid=&&abc.n2", "jsessionid", false), "abc.n2");
    assert.equal(pathParam("/x?jsessionid=&&", "jsessionid", false), undefined);
    assert.equal(pathParam("/x?jsessionid=&&&jsessionid=a.b", "jsessionid", false), "jsessionid=a.b");
  });

  it("moves on past a name= with nothing after it, and past a name without =", () => {
    assert.equal(pathParam("/jsessionid/x?jsessionid=a.n1", "jsessionid", false), "a.n1");
    assert.equal(pathParam("/x?jsessionid=", "jsessionid", false), undefined);
    // Apache resumes the search one character after the end of a failed name: "aaa=x" has no "aa=".
    assert.equal(pathParam("aaa=x", "aa", false), undefined);
    assert.equal(pathParam("/x", "", false), undefined);
  });
});

describe("session value in the Cookie header (get_cookie_param)", () => {
  it("finds name=value at the start or after ; , or white space, up to ; or ,", () => {
    assert.equal(cookieValue("JSESSIONID=abc.n1", "JSESSIONID"), "abc.n1");
    assert.equal(cookieValue("a=b; JSESSIONID=abc.n2; c=d", "JSESSIONID"), "abc.n2");
    assert.equal(cookieValue("x=1,JSESSIONID=abc.n2,y", "JSESSIONID"), "abc.n2");
    assert.equal(cookieValue("a=1, JSESSIONID=abc.n2", "JSESSIONID"), "abc.n2");
  });

  it("allows white space before = and keeps it after", () => {
    assert.equal(cookieValue("JSESSIONID = abc.n2", "JSESSIONID"), " abc.n2");
    assert.equal(cookieValue("JSESSIONID=abc.n2 ; x=1", "JSESSIONID"), "abc.n2 ");
  });

  it("needs the boundary and a non-empty value", () => {
    assert.equal(cookieValue("XJSESSIONID=abc.n2", "JSESSIONID"), undefined);
    assert.equal(cookieValue("JSESSIONID=", "JSESSIONID"), undefined);
    // "=" followed by ";" is a value: the empty one, cut at that ";".
    assert.equal(cookieValue("JSESSIONID=; JSESSIONID=a.b", "JSESSIONID"), "");
    assert.equal(cookieValue("JSESSIONID", "JSESSIONID"), undefined);
  });

  it("misses a cookie right after a failed candidate, as Apache's pointer walk does", () => {
    assert.equal(cookieValue("JSESSIONID ;JSESSIONID=abc.n2", "JSESSIONID"), undefined);
    assert.equal(cookieValue("JSESSIONID ; JSESSIONID=abc.n2", "JSESSIONID"), "abc.n2");
  });
});

describe("session route", () => {
  const names = { cookie: "JSESSIONID", param: "jsessionid" };

  it("prefers the URL parameter to the cookie and names where it was found", () => {
    assert.deepEqual(findSessionRoute("/x?jsessionid=abc.n0", "JSESSIONID=abc.n1", names, false), { sticky: "jsessionid", route: "n0" });
    assert.deepEqual(findSessionRoute("/x", "JSESSIONID=abc.n1", names, false), { sticky: "JSESSIONID", route: "n1" });
    assert.equal(findSessionRoute("/x", null, names, false), undefined);
  });

  it("is what follows the first separator; none without a separator", () => {
    assert.deepEqual(findSessionRoute("/x", "JSESSIONID=a.b.c", names, false), { sticky: "JSESSIONID", route: "b.c" });
    assert.equal(findSessionRoute("/x", "JSESSIONID=abc", names, false), undefined);
    assert.deepEqual(findSessionRoute("/x", "JSESSIONID=abc.", names, false), { sticky: "JSESSIONID", route: "" });
    // A value in the URL without a separator ends the search: the cookie is not consulted.
    assert.equal(findSessionRoute("/x?jsessionid=abc", "JSESSIONID=abc.n1", names, false), undefined);
  });

  it("honours stickysessionsep, and Off (null) takes the whole value", () => {
    assert.deepEqual(findSessionRoute("/x", "JSESSIONID=abc-n1", names, false, "-"), { sticky: "JSESSIONID", route: "n1" });
    assert.deepEqual(findSessionRoute("/x", "JSESSIONID=n1", names, false, null), { sticky: "JSESSIONID", route: "n1" });
  });
});

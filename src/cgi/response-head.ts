// Incremental parser for the CGI response head (RFC 3875 §6) at the start of the FastCGI STDOUT
// stream. Works strictly by length on the pieces it is fed (CVE-2014-3583: never trust a
// terminator), enforces line and head limits as bytes arrive, and validates every field so a
// backend cannot split or smuggle headers (CVE-2023-38709, CVE-2022-37436).

import { firstNonToken, hex, latin1, showBytes } from "./head-bytes.ts";
import { statusText } from "./status-text.ts";
import { InvalidHeadError } from "../errors.ts";

export interface HeadLimits {
  /** Longest header line, in bytes, not counting its CR LF / LF. */
  readonly maxLine: number;
  /** Longest head, in bytes, counting every terminator and the blank line. */
  readonly maxHead: number;
}

/** nginx's fastcgi_buffer_size is 4-8 KiB per line; Apache cuts lines at 8190 bytes. */
export const DEFAULT_HEAD_LIMITS: HeadLimits = Object.freeze({ maxLine: 8192, maxHead: 65536 });

export interface CgiHead {
  /** 200 by default, 302 for a `Location` without `Status`. */
  readonly status: number;
  /** The reason phrase from `Status:` if given, else the standard one ("" for unknown codes). */
  readonly statusText: string;
  /** In order, names as sent; repeated fields (Set-Cookie) kept as separate entries. */
  readonly headers: Array<[string, string]>;
}


const LF = 0x0a, CR = 0x0d, SP = 0x20, HT = 0x09, COLON = 0x3a, DEL = 0x7f;

// Field names the parser acts on, grouped by length so most names cost one array read.
const STATUS = 1, LOCATION = 2, DROP = 3;
const SPECIAL: Array<Array<[Uint8Array, number]> | undefined> = [];
for (const [name, kind] of [
  ["status", STATUS],
  ["location", LOCATION],
  // Framing: the gateway frames the response itself (CVE-2024-24795).
  ["content-length", DROP],
  ["transfer-encoding", DROP],
  // Hop-by-hop (RFC 9110 §7.6.1): they describe the backend connection, not the response.
  ["connection", DROP],
  ["keep-alive", DROP],
  ["proxy-connection", DROP],
  ["te", DROP],
  ["trailer", DROP],
  ["upgrade", DROP],
] as const) {
  const bytes = Uint8Array.from(name, (c) => c.charCodeAt(0));
  (SPECIAL[bytes.length] ??= []).push([bytes, kind]);
}

/** STATUS, LOCATION, DROP or 0 for the (already token-checked) name in [start, end). */
function classify(line: Uint8Array, start: number, end: number): number {
  const candidates = SPECIAL[end - start];
  if (candidates === undefined) return 0;
  next: for (const [lower, kind] of candidates) {
    // `| 0x20` folds only ASCII letters here: the name holds tchars, and "-" is unchanged.
    for (let i = 0; i < lower.length; i++) if ((line[start + i]! | 0x20) !== lower[i]) continue next;
    return kind;
  }
  return 0;
}

const OPEN = 0, DONE = 1, FAILED = 2;
const EMPTY = new Uint8Array(0);

export class CgiHeadParser {
  readonly #maxLine: number;
  readonly #maxHead: number;
  /** The start of a line that straddles pushes; the only copying the parser does. */
  #carry: Uint8Array = EMPTY;
  #carryLen = 0;
  /** Bytes of the complete lines so far, terminators included. */
  #consumed = 0;
  #lines = 0;
  #state = OPEN;
  readonly #headers: Array<[string, string]> = [];
  #status = 0;
  #reason = "";
  #location = false;

  constructor(limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
    const { maxLine, maxHead } = limits;
    if (!Number.isSafeInteger(maxLine) || maxLine < 1) throw new RangeError(`maxLine must be a positive integer, got ${maxLine}`);
    if (!Number.isSafeInteger(maxHead) || maxHead < 1) throw new RangeError(`maxHead must be a positive integer, got ${maxHead}`);
    this.#maxLine = maxLine;
    this.#maxHead = maxHead;
  }

  /** Bytes of the head received so far (complete lines plus the partial one). */
  get buffered(): number {
    return this.#consumed + this.#carryLen;
  }

  /**
   * Feed STDOUT bytes. Returns undefined while the head is incomplete; once the blank line is
   * reached returns the head and `body`, the rest of THIS chunk (a view, possibly empty).
   * Throws InvalidHeadError. Must not be called again after it returned a head or threw.
   */
  push(chunk: Uint8Array): { head: CgiHead; body: Uint8Array } | undefined {
    if (this.#state !== OPEN) {
      throw new Error(this.#state === DONE ? "CgiHeadParser: the head is already complete" : "CgiHeadParser: the head was invalid");
    }
    try {
      return this.#push(chunk);
    } catch (err) {
      this.#state = FAILED;
      throw err;
    }
  }

  #push(chunk: Uint8Array): { head: CgiHead; body: Uint8Array } | undefined {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        // No LF yet: check before holding the bytes, so a backend that never sends one
        // cannot make us buffer more than the limits.
        this.#checkLimits(this.#carryLen + len - pos, chunk[len - 1] === CR, 0);
        this.#hold(chunk, pos, len);
        return undefined;
      }
      let line: Uint8Array, start: number, end: number;
      if (this.#carryLen === 0) {
        // The common case: the whole line is in this chunk, parse it in place.
        this.#checkLimits(lf - pos, lf > pos && chunk[lf - 1] === CR, 1);
        line = chunk, start = pos, end = lf;
      } else {
        const lastIsCR = lf > pos ? chunk[lf - 1] === CR : this.#carry[this.#carryLen - 1] === CR;
        this.#checkLimits(this.#carryLen + lf - pos, lastIsCR, 1);
        this.#hold(chunk, pos, lf);
        line = this.#carry, start = 0, end = this.#carryLen;
        this.#carryLen = 0;
      }
      this.#consumed += end - start + 1;
      this.#lines++;
      if (end > start && line[end - 1] === CR) end--; // CR LF ends a line like LF does
      pos = lf + 1;
      if (end === start) {
        this.#state = DONE;
        return { head: this.#head(), body: chunk.subarray(pos) };
      }
      this.#field(line, start, end);
    }
    return undefined;
  }

  /**
   * `size`: bytes of the current line so far, without its LF. A trailing CR may be the first
   * half of CR LF, so it does not count toward maxLine. `lf`: 1 once the line's LF is in.
   */
  #checkLimits(size: number, lastIsCR: boolean, lf: number): void {
    const n = this.#lines + 1;
    if (size - (lastIsCR ? 1 : 0) > this.#maxLine) {
      throw new InvalidHeadError(`header line ${n} is longer than maxLine (${this.#maxLine} bytes)`, "line");
    }
    if (this.#consumed + size + lf > this.#maxHead) {
      throw new InvalidHeadError(`response head is longer than maxHead (${this.#maxHead} bytes) at line ${n}`, "head");
    }
  }

  /** Appends chunk[from, to) to the carried partial line (already limit-checked). */
  #hold(chunk: Uint8Array, from: number, to: number): void {
    const need = this.#carryLen + to - from;
    if (need > this.#carry.length) {
      // Doubling keeps copies amortised; the limit check bounds `need` by maxLine + 1.
      const grown = new Uint8Array(Math.max(need, Math.min(this.#carry.length * 2, this.#maxLine + 1), 256));
      grown.set(this.#carry.subarray(0, this.#carryLen));
      this.#carry = grown;
    }
    this.#carry.set(chunk.subarray(from, to), this.#carryLen);
    this.#carryLen = need;
  }

  /** One complete, non-empty header line in line[start, end), its terminator removed. */
  #field(line: Uint8Array, start: number, end: number): void {
    const n = this.#lines;
    const first = line[start];
    if (first === SP || first === HT) {
      // RFC 9112 §5.2: obs-fold is obsolete; rejecting is the safe choice for a gateway.
      throw new InvalidHeadError(`line ${n}: folded continuation line "${showBytes(line, start, end)}"`);
    }
    const colon = line.indexOf(COLON, start);
    if (colon === -1 || colon >= end) {
      throw new InvalidHeadError(`line ${n}: no colon in "${showBytes(line, start, end)}"`);
    }
    if (colon === start) throw new InvalidHeadError(`line ${n}: empty header name`);
    const bad = firstNonToken(line, start, colon);
    if (bad !== -1) {
      throw new InvalidHeadError(`line ${n}: header name "${showBytes(line, start, colon)}" has invalid byte ${hex(line[bad]!)}`);
    }

    // RFC 9110 §5.5: optional whitespace around the value is not part of it.
    let vs = colon + 1, ve = end;
    while (vs < ve && (line[vs] === SP || line[vs] === HT)) vs++;
    while (ve > vs && (line[ve - 1] === SP || line[ve - 1] === HT)) ve--;
    for (let i = vs; i < ve; i++) {
      const b = line[i]!;
      // NUL and a bare CR enable header splitting; other CTLs are invalid too (RFC 9110 §5.5)
      // and the runtimes' HTTP servers would refuse them when writing the response.
      if ((b < SP && b !== HT) || b === DEL) {
        const what = b === 0 ? "NUL" : b === CR ? "bare CR" : `control byte ${hex(b)}`;
        throw new InvalidHeadError(`line ${n}: ${what} in the value of "${showBytes(line, start, colon)}"`);
      }
    }

    switch (classify(line, start, colon)) {
      case STATUS:
        this.#parseStatus(line, vs, ve, n);
        return;
      case DROP:
        return;
      case LOCATION:
        if (ve > vs) this.#location = true;
        break;
    }
    this.#headers.push([latin1(line, start, colon), latin1(line, vs, ve)]);
  }

  /** `Status: NNN[ reason]` (RFC 3875 §6.3.3); value in line[vs, ve), already trimmed. */
  #parseStatus(line: Uint8Array, vs: number, ve: number, n: number): void {
    if (this.#status !== 0) throw new InvalidHeadError(`line ${n}: a second Status header`);
    const d0 = line[vs]! - 0x30, d1 = line[vs + 1]! - 0x30, d2 = line[vs + 2]! - 0x30;
    const digits = ve - vs >= 3 && d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9;
    const sep = line[vs + 3];
    if (!digits || (ve - vs > 3 && sep !== SP && sep !== HT)) {
      throw new InvalidHeadError(`line ${n}: Status "${showBytes(line, vs, ve)}" is not a three-digit code`);
    }
    const code = d0 * 100 + d1 * 10 + d2;
    // 1xx is never a final status; Fetch's Response cannot carry one above 599.
    if (code < 200 || code > 599) throw new InvalidHeadError(`line ${n}: Status ${code} is out of range 200-599`);
    let rs = vs + 3;
    while (rs < ve && (line[rs] === SP || line[rs] === HT)) rs++;
    for (let i = rs; i < ve; i++) {
      if (line[i]! > DEL) throw new InvalidHeadError(`line ${n}: Status reason "${showBytes(line, rs, ve)}" is not ASCII`);
    }
    this.#status = code;
    this.#reason = rs < ve ? latin1(line, rs, ve) : statusText(code);
  }

  #head(): CgiHead {
    if (this.#status !== 0) return { status: this.#status, statusText: this.#reason, headers: this.#headers };
    // RFC 3875 §6.2.3: a redirect without Status is a 302. Local paths (§6.2.2) get the same
    // answer, as nginx does: no internal redirect (see CVE-2024-38476).
    const status = this.#location ? 302 : 200;
    return { status, statusText: statusText(status), headers: this.#headers };
  }
}

// Byte-level helpers for the CGI response head parser: token check, latin1 decoding, and a
// log-safe rendering of backend bytes for error reasons.

/** 1 for the bytes allowed in an RFC 9110 §5.6.2 token (tchar), 0 otherwise. */
const TCHAR = /* @__PURE__ */ (() => {
  const t = new Uint8Array(256);
  for (let b = 0x30; b <= 0x39; b++) t[b] = 1; // DIGIT
  for (let b = 0x41; b <= 0x5a; b++) t[b] = 1; // upper ALPHA
  for (let b = 0x61; b <= 0x7a; b++) t[b] = 1; // lower ALPHA
  for (const c of "!#$%&'*+-.^_`|~") t[c.charCodeAt(0)] = 1;
  return t;
})();

/** Index of the first byte in [start, end) that is not a tchar, or -1 when all are. */
export function firstNonToken(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (TCHAR[bytes[i]!] === 0) return i;
  return -1;
}

// String.fromCharCode.apply takes its arguments on the stack; stay well below every engine's cap.
const DECODE_SLICE = 8192;
const SHORT = 64;

/**
 * Bytes [start, end) as a latin1 string: one char per byte, so values round-trip exactly as the
 * ByteStrings the Fetch Headers API expects. (TextDecoder("latin1") is really windows-1252 and
 * would remap 0x80-0x9f.)
 */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT) {
    // Header names and most values: a loop is 2-3x faster on Bun than apply() over a subarray, even on V8.
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  if (end - start <= DECODE_SLICE) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let s = "";
  for (let i = start; i < end; i += DECODE_SLICE) {
    const stop = Math.min(end, i + DECODE_SLICE);
    s += String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]);
  }
  return s;
}

const SHOWN = 64;

/**
 * A short, log-safe rendering of backend bytes for error reasons: printable ASCII as is,
 * everything else (and the backslash) as \xNN, cut after 64 bytes, so a hostile backend cannot
 * inject lines or terminal escapes into our logs.
 */
export function showBytes(bytes: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, start + SHOWN);
  let s = "";
  for (let i = start; i < stop; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x5c
      ? String.fromCharCode(b)
      : "\\x" + b.toString(16).padStart(2, "0");
  }
  return end > stop ? s + "..." : s;
}

/** A single byte as 0xNN, for reasons. */
export function hex(b: number): string {
  return "0x" + b.toString(16).padStart(2, "0");
}

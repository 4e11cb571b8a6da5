// Header values and the raw request line reach us as ByteStrings (one char per byte, Fetch and node:http
// alike), while FastCGI params are encoded as UTF-8. A client that sends UTF-8 bytes in a header would see
// them encoded twice; this turns such a value back into the text its bytes spell, or, when they are not UTF-8,
// into the bytes themselves, so the backend receives exactly what the client sent, as Apache passes it.

const utf8 = new TextDecoder("utf-8", { fatal: true });
const NON_ASCII = /[\x80-\xff]/;

export function fromByteString(value: string): string | Uint8Array {
  if (!NON_ASCII.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes; // not UTF-8: sent as the raw bytes
  }
}

/** A value as text: bytes that are not UTF-8 read as latin1 (for set-env-if matching and %{NAME}). */
export function asText(value: string | Uint8Array): string {
  if (typeof value === "string") return value;
  let s = "";
  for (let i = 0; i < value.length; i++) s += String.fromCharCode(value[i]!);
  return s;
}

// Header values and the raw request line reach us as ByteStrings (one char per byte, Fetch and node:http
// alike), while FastCGI params are encoded as UTF-8. A client that sends UTF-8 bytes in a header would see
// them encoded twice; this turns such a value back into the text its bytes spell, so the backend receives the
// client's bytes unchanged, as Apache passes them.

const utf8 = new TextDecoder("utf-8", { fatal: true });
const NON_ASCII = /[\x80-\xff]/;

export function fromByteString(value: string): string {
  if (!NON_ASCII.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  try {
    return utf8.decode(bytes);
  } catch {
    return value; // not UTF-8: sent as latin1 text (the encoder would need a byte path to do better)
  }
}

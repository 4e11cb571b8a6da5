// Deterministic test bytes, built the same way in the test process and inside the Worker.
export function pattern(size: number, seed = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >>> 10) + seed) & 0xff;
  return out;
}

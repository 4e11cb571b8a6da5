// One growable module-level buffer for encoders that cannot know their output size up front
// (pairs are sized only once encoded). Callers write into it and copy out the exact result
// before returning, so it is never shared across an await. Small results are copied into views of a
// shared slab (see takeScratch).

const INITIAL = 16 * 1024;
/** After a rare huge request, drop back so one request does not pin memory for ever. */
const KEEP_AT_MOST = 256 * 1024;

let scratch = new Uint8Array(INITIAL);

/** The scratch buffer, grown (contents kept up to `used`) so that it holds at least `size` bytes. */
export function scratchOf(size: number, used = 0): Uint8Array {
  if (size > scratch.length) {
    let n = scratch.length * 2;
    while (n < size) n *= 2;
    const grown = new Uint8Array(n);
    if (used > 0) grown.set(scratch.subarray(0, used));
    scratch = grown;
  }
  return scratch;
}

/**
 * Copy `[0, length)` out of the scratch into a new buffer with `extra` free bytes after it (for the
 * caller to fill), and shrink the scratch if it grew past KEEP_AT_MOST.
 */
export function takeScratch(length: number, extra = 0): Uint8Array {
  const size = length + extra;
  let out: Uint8Array;
  if (size > SLAB_PIECE_MAX) out = new Uint8Array(size);
  else {
    // A view into a shared slab rather than a buffer of its own: a new ArrayBuffer per request head cost
    // ~0.8 µs on V8 (6% of the gateway's own work), a slab view ~0.1. Regions are never handed out twice;
    // a slab is freed once the last head cut from it is.
    if (slabUsed + size > SLAB_SIZE) {
      slab = new Uint8Array(SLAB_SIZE);
      slabUsed = 0;
    }
    out = slab.subarray(slabUsed, slabUsed + size);
    slabUsed += (size + 7) & ~7;
  }
  out.set(scratch.subarray(0, length));
  if (scratch.length > KEEP_AT_MOST) scratch = new Uint8Array(INITIAL);
  return out;
}

const SLAB_SIZE = 64 * 1024;
/** Larger outputs get their own buffer (and a big request body does not pin a slab). */
const SLAB_PIECE_MAX = 8 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

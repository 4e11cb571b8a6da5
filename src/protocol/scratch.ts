// Where encoders that cannot know their output size up front (pairs are sized only once encoded) write:
// a view of the free tail of a shared 64 KiB slab, so that a finished output is handed over as a view of
// that slab, with no copy and no buffer of its own. A new ArrayBuffer per request head cost ~0.8 µs on V8
// and a copy plus two views showed on Bun; a slab region is never handed out twice, and a slab is freed
// once the last output cut from it is. An output that outgrows the tail continues in a buffer of its own
// and is copied out at its exact size. Encoding is synchronous, so outputs never interleave.

const SLAB_SIZE = 64 * 1024;
/** A new output starts in a fresh slab when less than this is left of the current one. */
const MIN_TAIL = 4 * 1024;

let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;
/** The current output's buffer: the slab's tail, or a grown buffer of its own. */
let work: Uint8Array = slab;
let workInSlab = true;

/**
 * The buffer to write the current output into, holding at least `size` bytes. `used` = 0 starts a new
 * output; otherwise its first `used` bytes are kept when the buffer has to grow.
 */
export function scratchOf(size: number, used = 0): Uint8Array {
  if (used === 0) {
    if (SLAB_SIZE - slabUsed < MIN_TAIL) {
      slab = new Uint8Array(SLAB_SIZE);
      slabUsed = 0;
    }
    work = slab.subarray(slabUsed);
    workInSlab = true;
  }
  if (size > work.length) {
    let n = Math.max(2 * work.length, 16 * 1024);
    while (n < size) n *= 2;
    const grown = new Uint8Array(n);
    if (used > 0) grown.set(work.subarray(0, used));
    work = grown;
    workInSlab = false;
  }
  return work;
}

/**
 * Hands over the current output's first `length` bytes with `extra` bytes after them for the caller to
 * fill completely (they are not guaranteed to be zero).
 */
export function takeScratch(length: number, extra = 0): Uint8Array {
  const size = length + extra;
  if (workInSlab && size <= work.length) {
    const out = work.subarray(0, size);
    slabUsed += (size + 7) & ~7;
    work = EMPTY;
    workInSlab = false;
    return out;
  }
  const out = new Uint8Array(size);
  out.set(work.subarray(0, length));
  work = EMPTY;
  workInSlab = false;
  return out;
}

const EMPTY = new Uint8Array(0);

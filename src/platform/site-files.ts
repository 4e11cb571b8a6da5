// The filesystem of a site (stat, realpath, open, read at a position) through node:fs, which Node, Deno and
// Bun all run. Loaded lazily (current.ts), so the Workers build never imports node:fs.
//
// Blocking calls on purpose, as nginx makes them in its event loop (open, fstat, read or sendfile without
// `aio threads`): on a local disk or the page cache each takes a microsecond or two, while every
// node:fs/promises call is a round trip through the runtime's thread pool that cost ~40 µs of CPU here (a
// 4 KiB file took 425 µs on Node that way). The price is nginx's too: a document root on a filesystem that
// stalls (a dead NFS server) stalls the gateway. The interface stays async so a platform may do otherwise.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import type { FileStat, OpenFile, SiteFiles } from "./types.ts";

// O_NONBLOCK: opening a FIFO someone planted under the root must not hang the request until a writer comes.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
/** libc's realpath(3) in one call where the runtime has it; the JavaScript walk (an lstat per component) otherwise. */
const realpath: (path: string) => string = realpathSync.native ?? realpathSync;
/** A missing path gives undefined instead of an exception: try-files probes many that do not exist. */
const NO_THROW = { throwIfNoEntry: false } as const;

function fileStat(s: Stats): FileStat {
  return {
    kind: s.isFile() ? "file" : s.isDirectory() ? "directory" : "other",
    size: s.size,
    mtimeMs: Math.floor(s.mtimeMs),
    dev: s.dev,
    ino: s.ino,
  };
}

class NodeOpenFile implements OpenFile {
  readonly stat: FileStat;
  #fd: number;

  constructor(fd: number, stat: FileStat) {
    this.#fd = fd;
    this.stat = stat;
  }

  read(position: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    let got = 0;
    try {
      while (got < length) {
        const n = readSync(this.#fd, buf, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(got === length ? buf : buf.subarray(0, got));
  }

  unchanged(): Promise<boolean> {
    try {
      const now = fstatSync(this.#fd);
      return Promise.resolve(now.size === this.stat.size && Math.floor(now.mtimeMs) === this.stat.mtimeMs);
    } catch {
      return Promise.resolve(false);
    }
  }

  close(): Promise<void> {
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      try {
        closeSync(fd);
      } catch {
        // already gone: nothing to release
      }
    }
    return Promise.resolve();
  }
}

/** The node:fs implementation of SiteFiles. */
export const nodeSiteFiles: SiteFiles = {
  stat(path) {
    try {
      const s = statSync(path, NO_THROW);
      return Promise.resolve(s === undefined ? null : fileStat(s));
    } catch {
      return Promise.resolve(null);
    }
  },
  realpath(path) {
    try {
      return Promise.resolve(realpath(path));
    } catch {
      return Promise.resolve(null);
    }
  },
  open(path) {
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS);
    } catch {
      return Promise.resolve(null);
    }
    try {
      const stat = fileStat(fstatSync(fd));
      if (stat.kind === "file") return Promise.resolve(new NodeOpenFile(fd, stat));
    } catch {
      // fall through: close and report missing
    }
    try {
      closeSync(fd);
    } catch {
      // nothing to release
    }
    return Promise.resolve(null);
  },
};

// The filesystem of a site (stat, realpath, open, read at a position) through node:fs, which Node, Deno and
// Bun all run. Loaded lazily (current.ts), so the Workers build never imports node:fs.
import { constants } from "node:fs";
import { open as openFile, realpath as realPath, stat as statPath, type FileHandle } from "node:fs/promises";
import type { FileStat, OpenFile, SiteFiles } from "./types.ts";

// O_NONBLOCK: opening a FIFO someone planted under the root must not hang the request until a writer comes.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

type NodeStats = Awaited<ReturnType<typeof statPath>>;

function fileStat(s: NodeStats): FileStat {
  return {
    kind: s.isFile() ? "file" : s.isDirectory() ? "directory" : "other",
    size: Number(s.size),
    mtimeMs: Math.floor(Number(s.mtimeMs)),
    dev: Number(s.dev),
    ino: Number(s.ino),
  };
}

class NodeOpenFile implements OpenFile {
  readonly stat: FileStat;
  readonly #handle: FileHandle;
  #closed = false;

  constructor(handle: FileHandle, stat: FileStat) {
    this.#handle = handle;
    this.stat = stat;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.#handle.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  async unchanged(): Promise<boolean> {
    try {
      const now = fileStat(await this.#handle.stat());
      return now.size === this.stat.size && now.mtimeMs === this.stat.mtimeMs;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close().catch(() => {});
  }
}

/** The node:fs implementation of SiteFiles. */
export const nodeSiteFiles: SiteFiles = {
  async stat(path) {
    try {
      return fileStat(await statPath(path));
    } catch {
      return null;
    }
  },
  async realpath(path) {
    try {
      return await realPath(path);
    } catch {
      return null;
    }
  },
  async open(path) {
    let handle: FileHandle;
    try {
      handle = await openFile(path, OPEN_FLAGS);
    } catch {
      return null;
    }
    try {
      const stat = fileStat(await handle.stat());
      if (stat.kind === "file") return new NodeOpenFile(handle, stat);
    } catch {
      // fall through: close and report missing
    }
    await handle.close().catch(() => {});
    return null;
  },
};

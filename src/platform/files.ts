// Filesystem services for runtimes that have one (Node, Deno, Bun all run node:fs): the `is a regular file`
// probe for path-info=full, and temp files for spooling request bodies. Loaded lazily, so Workers never
// imports node:fs.
import type { TempFile } from "./types.ts";

type Fs = typeof import("node:fs/promises");
let fsPromise: Promise<Fs> | undefined;
const fs = () => (fsPromise ??= import("node:fs/promises"));

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await (await fs()).stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A temp file that is unlinked as soon as it is open, so nothing is left behind even on a crash. */
export async function createTempFile(): Promise<TempFile> {
  const f = await fs();
  const { tmpdir } = await import("node:os");
  const path = `${tmpdir()}/proxy-fcgi-${crypto.randomUUID()}`;
  const handle = await f.open(path, "wx+", 0o600);
  await f.unlink(path);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await handle.close().catch(() => {});
  };
  return {
    async write(chunk) {
      let off = 0;
      while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
    },
    readable() {
      let position = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const buf = new Uint8Array(64 * 1024);
          const { bytesRead } = await handle.read(buf, 0, buf.length, position);
          if (bytesRead === 0) {
            controller.close();
            await dispose();
            return;
          }
          position += bytesRead;
          controller.enqueue(buf.subarray(0, bytesRead));
        },
        cancel: dispose,
      });
    },
    dispose,
  };
}

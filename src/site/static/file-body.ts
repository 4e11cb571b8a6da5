// The bytes of a static response, read from the one descriptor the checks were made on. Bodies up to 1 MiB are
// read whole before the response starts (one read; and Bun's server drops the Content-Length of a streamed
// body, so this keeps it on every runtime); larger ones stream in 64 KiB reads paced by the client. Either way, if the
// file's size or mtime changed by the end, the body fails instead of ending, so a client never gets two
// versions of a file mixed as one (a rewrite mid-send aborts the response).
import type { OpenFile } from "../../platform/types.ts";
import type { ByteRange } from "./range.ts";

/** Bodies up to this size are read at once and sent as bytes. */
export const READ_WHOLE_MAX = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Thrown into a body whose file changed while it was sent. */
export class FileChanged extends Error {
  constructor(path: string) {
    super(`${path} changed while it was sent; the response was cut`);
  }
}

/** The body for `pieces` (literal bytes and ranges of `file`), `length` bytes in all. Closes the file when done. */
export async function fileBody(file: OpenFile, name: string, pieces: ReadonlyArray<Uint8Array | ByteRange>, length: number): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  if (length <= READ_WHOLE_MAX) {
    try {
      const out = new Uint8Array(length);
      let at = 0;
      for (const p of pieces) {
        const bytes = p instanceof Uint8Array ? p : await file.read(p.start, p.end - p.start + 1);
        out.set(bytes, at);
        at += bytes.length;
      }
      if (at !== length || !(await file.unchanged())) throw new FileChanged(name);
      return out;
    } finally {
      await file.close();
    }
  }
  let index = 0;
  let offset = -1; // position inside the current range, -1 before it starts
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (index < pieces.length) {
          const p = pieces[index]!;
          if (p instanceof Uint8Array) {
            index++;
            controller.enqueue(p);
            return;
          }
          if (offset < 0) offset = p.start;
          if (offset > p.end) {
            index++;
            offset = -1;
            continue;
          }
          const want = Math.min(CHUNK, p.end - offset + 1);
          const bytes = await file.read(offset, want);
          if (bytes.length !== want) throw new FileChanged(name);
          offset += want;
          controller.enqueue(bytes);
          return;
        }
        if (!(await file.unchanged())) throw new FileChanged(name);
        await file.close();
        controller.close();
      } catch (e) {
        await file.close();
        controller.error(e);
      }
    },
    async cancel() {
      await file.close();
    },
  }, { highWaterMark: 0 });
}

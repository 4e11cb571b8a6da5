// The status of a health probe's CGI response. A probe needs only the status line's number, not the gateway's
// full head parser (src/cgi/response-head.ts), so the pool keeps its own small reader and does not reach up
// into the CGI layer: `Status: NNN` wins, a `Location` without it is a 302 (RFC 3875 §6.2.3), otherwise 200.

/** Heads longer than this fail the probe. */
const MAX_HEAD = 16 * 1024;

/** Collects a response head across STDOUT chunks. */
export class ProbeHead {
  #buffer = "";
  readonly #text = new TextDecoder("latin1");

  /**
   * Adds a chunk. Returns undefined while the head is incomplete; then the status and whatever body followed
   * it in the chunk. Throws an Error naming what is wrong with the head.
   */
  push(chunk: Uint8Array): { status: number; body: Uint8Array } | undefined {
    const before = this.#buffer.length;
    this.#buffer += this.#text.decode(chunk, { stream: true });
    const m = /\r?\n\r?\n/.exec(this.#buffer);
    if (!m) {
      if (this.#buffer.length > MAX_HEAD) throw new Error(`response head is longer than ${MAX_HEAD} bytes`);
      return undefined;
    }
    const headEnd = m.index + m[0].length;
    // latin1 decodes one byte to one character, so string offsets are byte offsets.
    const body = chunk.subarray(Math.max(0, headEnd - before));
    return { status: headStatus(this.#buffer.slice(0, m.index)), body };
  }
}

function headStatus(head: string): number {
  let location = false;
  const lines = head.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`line ${i + 1}: no header name and colon`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "status") {
      const status = /^(\d{3})(?:\s|$)/.exec(value);
      if (!status) throw new Error(`line ${i + 1}: bad Status "${value.slice(0, 40)}"`);
      return Number(status[1]);
    }
    if (name === "location") location = true;
  }
  return location ? 302 : 200;
}

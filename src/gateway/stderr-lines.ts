// FCGI_STDERR is logged line by line with the request's id, capped per request, never mixed into the body.

export class StderrLines {
  readonly #emit: (line: string) => void;
  readonly #cap: number;
  /** Made on the first STDERR bytes: most requests have none, and every exchange has a StderrLines. */
  #decoder: TextDecoder | undefined;
  #pending = "";
  #seen = 0;
  #truncated = false;

  constructor(cap: number, emit: (line: string) => void) {
    this.#cap = cap;
    this.#emit = emit;
  }

  push(data: Uint8Array): void {
    if (this.#truncated) return;
    const room = this.#cap - this.#seen;
    const take = data.length > room ? data.subarray(0, room) : data;
    this.#seen += take.length;
    this.#decoder ??= new TextDecoder("utf-8", { fatal: false });
    const text = this.#pending + this.#decoder.decode(take, { stream: true });
    const lines = text.split(/\r?\n/);
    this.#pending = lines.pop()!;
    for (const line of lines) if (line !== "") this.#emit(line);
    if (take.length < data.length) {
      this.flush();
      this.#truncated = true;
      this.#emit(`(stderr truncated after ${this.#cap} bytes)`);
    }
  }

  flush(): void {
    if (this.#decoder === undefined) return;
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = "";
    if (rest !== "") this.#emit(rest);
  }
}

// For the shims that pull from their socket in a loop (Deno, Workers): while the conn is paused the loop
// parks here, and is let go when it may read again or the conn closes.
export class FlowGate {
  readonly #flowing: () => boolean;
  readonly #closed: () => boolean;
  #wake: (() => void) | null = null;

  constructor(flowing: () => boolean, closed: () => boolean) {
    this.#flowing = flowing;
    this.#closed = closed;
  }

  /** Resolves once flowing (true) or closed (false). Callers check `flowing` first to skip the await. */
  async opened(): Promise<boolean> {
    while (!this.#flowing()) {
      if (this.#closed()) return false;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return true;
  }

  /** Lets a parked loop look again (on resume, and on close). */
  release(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

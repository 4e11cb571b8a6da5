// node:http's rawHeaders as the gateway's HeaderReader: lower-case names, repeated fields joined with ", " as
// Fetch's Headers joins them, in the order the client sent them. Building an undici Headers instead cost
// more than all of this adapter's other work.
import type { HeaderReader } from "../../cgi/header-reader.ts";

export class RawHeaders implements HeaderReader {
  readonly #map = new Map<string, string>();

  constructor(raw: readonly string[]) {
    const map = this.#map;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      const prev = map.get(name);
      map.set(name, prev === undefined ? value : `${prev}, ${value}`);
    }
  }

  get(name: string): string | null {
    return this.#map.get(name) ?? null;
  }

  has(name: string): boolean {
    return this.#map.has(name);
  }

  set(name: string, value: string): void {
    this.#map.set(name, value);
  }

  forEach(callback: (value: string, name: string) => void): void {
    this.#map.forEach(callback);
  }
}

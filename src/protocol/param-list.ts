// CGI variables as two parallel arrays: what encodeRequestHead walks by index. A Map would do, but iterating
// one makes an entry array per variable, 20-30 allocations per request on the hot path.
import type { PairValue } from "./pairs.ts";

export class ParamList implements Iterable<[string, PairValue]> {
  readonly names: string[] = [];
  readonly values: PairValue[] = [];

  get size(): number {
    return this.names.length;
  }

  /** Appends without looking for an earlier entry: for a builder whose names are distinct. */
  add(name: string, value: PairValue): void {
    this.names.push(name);
    this.values.push(value);
  }

  /** Replaces the value in place when the name is there (a Map's order), else appends. */
  set(name: string, value: PairValue): this {
    const i = this.names.indexOf(name);
    if (i < 0) this.add(name, value);
    else this.values[i] = value;
    return this;
  }

  get(name: string): PairValue | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  delete(name: string): boolean {
    const i = this.names.indexOf(name);
    if (i < 0) return false;
    this.names.splice(i, 1);
    this.values.splice(i, 1);
    return true;
  }

  *[Symbol.iterator](): IterableIterator<[string, PairValue]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.values[i]!];
  }
}

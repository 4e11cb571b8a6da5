// Small statistics over repeated runs.

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function max(values: readonly number[]): number {
  let m = NaN;
  for (const x of values) if (Number.isFinite(x) && !(x <= m)) m = x;
  return m;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

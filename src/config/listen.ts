import { InvalidValue } from "../errors.ts";
export interface ListenAddress { readonly host: string; readonly port: number }

/** `HOST:PORT`, `[::1]:PORT` or `:PORT` (loopback). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d+)$/.exec(text.trim());
  if (!m) throw new InvalidValue(`"${text}" must be HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidValue(`"${text}" has an invalid port`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

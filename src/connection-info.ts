/**
 * What a runtime's server knows about the client connection, normalised by each adapter (src/adapters/) and
 * consumed by the CGI environment builder. Addresses have no `::ffff:` prefix.
 */
export interface ConnectionInfo {
  readonly remoteAddress: string;
  /** Undefined where the runtime gives none (Workers, Unix listeners). */
  readonly remotePort?: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: boolean;
  /** The request-target exactly as on the request line, where the runtime exposes it (Node). */
  readonly rawTarget?: string;
  /** `1.1`, `1.0`, `2.0` where the runtime exposes it (Node); HTTP/1.1 is assumed otherwise. */
  readonly httpVersion?: string;
}

/** `::ffff:127.0.0.1` → `127.0.0.1` (dual-stack listeners report IPv4 clients that way). */
export function normaliseAddress(address: string | undefined | null): string {
  if (!address) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

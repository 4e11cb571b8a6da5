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
  /**
   * Fires "abort" when the client goes away before its response is complete, where an adapter has a cheaper
   * way to tell than request.signal (Node: an AbortController per request costs more than the rest of the
   * adapter). Defaults to request.signal.
   */
  readonly clientGone?: AbortHook;
}

/** The part of AbortSignal the gateway listens to (an AbortSignal is one). */
export interface AbortHook {
  /** Already fired (the watch may start after the client left). */
  readonly aborted?: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** `::ffff:127.0.0.1` → `127.0.0.1` (dual-stack listeners report IPv4 clients that way). */
export function normaliseAddress(address: string | undefined | null): string {
  if (!address) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/**
 * The Headers methods the CGI environment and the gateway use; a Fetch Headers is one. Names are lower-case,
 * and a field sent several times reads as one value joined with ", " (Fetch's rule, and Apache's for CGI).
 */
export interface HeaderReader {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(callback: (value: string, name: string) => void): void;
}

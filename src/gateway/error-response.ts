// The one place where a failure becomes what the client sees.
import { statusText } from "../cgi/status-text.ts";
import { GatewayError } from "../errors.ts";
import type { ProxyResponse } from "./messages.ts";

const encoder = new TextEncoder();
const TEXT: ReadonlyArray<readonly [string, string]> = [["content-type", "text/plain; charset=utf-8"]];

export function errorResponse(error: unknown): ProxyResponse {
  const status = error instanceof GatewayError ? error.status : 500;
  const reason = statusText(status);
  return { status, statusText: reason, headers: TEXT, body: encoder.encode(`${status} ${reason}\n`) };
}

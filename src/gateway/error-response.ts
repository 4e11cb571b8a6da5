// The one place where a failure becomes what the client sees.
import { statusText } from "../cgi/status-text.ts";
import { GatewayError } from "../errors.ts";

export function errorResponse(error: unknown): Response {
  const status = error instanceof GatewayError ? error.status : 500;
  const reason = statusText(status);
  return new Response(`${status} ${reason}\n`, {
    status,
    statusText: reason,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

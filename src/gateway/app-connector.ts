// Connections to a supervised app (`app:NAME`): while the gateway replaces one of its processes, the app's
// socket can refuse or be missing for a moment (on Node the socket lives only in the children, so between a
// php-cgi recycling itself and its successor taking over, nobody holds it). Such connects are tried again for
// a short while instead of answering 503 at once, as a request would wait for a restarting app.
import { TransportError } from "../errors.ts";
import type { Connector } from "../transport/types.ts";

/** How long a refused or missing app socket is retried, at most (and never past the connect timeout), ms. */
export const APP_RESTART_WAIT_MS = 2_000;
const RETRY_EVERY_MS = 10;

/** `connect`, retrying ECONNREFUSED and ENOENT until APP_RESTART_WAIT_MS or the connect timeout. */
export function appConnector(connect: Connector): Connector {
  return async (endpoint, options) => {
    const deadline = Date.now() + Math.min(options.timeoutMs, APP_RESTART_WAIT_MS);
    for (;;) {
      try {
        return await connect(endpoint, options);
      } catch (e) {
        const retry = e instanceof TransportError && (e.code === "ECONNREFUSED" || e.code === "ENOENT");
        if (!retry || Date.now() + RETRY_EVERY_MS >= deadline) throw e;
        await new Promise((r) => setTimeout(r, RETRY_EVERY_MS));
      }
    }
  };
}

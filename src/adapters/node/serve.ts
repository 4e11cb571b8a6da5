// Serving on Node with node:http.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { nodeConnectionInfo } from "../client-info/node.ts";
import { NodeRequest, ResponseClosed, toRequest } from "./request.ts";
import { writeProxyResponse, writeResponse } from "./response.ts";
import { closeWithGrace } from "../grace.ts";
import type { RunningServer, ServeOptions, ServeTarget } from "../types.ts";

/** node:http writes each body chunk with its own syscall: fewer, larger chunks (see FetchOptions.mergeChunks). */
const MERGE = { mergeChunks: true } as const;

export function serveNode(target: ServeTarget, options: ServeOptions): Promise<RunningServer> {
  const failed = (res: ServerResponse) => (e: unknown) => {
    console.error(`${new Date().toISOString()} error unhandled: ${(e as Error)?.stack ?? e}`);
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  };
  // The gateway's own answer is written without Fetch objects; any other handler gets a Request.
  const listener = typeof target !== "function"
    ? (req: IncomingMessage, res: ServerResponse) => {
      const gone = new ResponseClosed(res);
      target.respond(new NodeRequest(req), nodeConnectionInfo(req, 0, gone), MERGE)
        .then((r) => writeProxyResponse(res, r))
        .catch(failed(res));
    }
    : (req: IncomingMessage, res: ServerResponse) => {
      const gone = new ResponseClosed(res);
      let request: Request;
      try {
        request = toRequest(req);
      } catch {
        res.writeHead(400, { "content-type": "text/plain" }).end("400 Bad Request\n");
        return;
      }
      target(request, nodeConnectionInfo(req, 0, gone))
        .then((response) => writeResponse(res, response))
        .catch(failed(res));
    };
  const server = createServer({ keepAliveTimeout: 5000 }, listener);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        host: options.host,
        close: (graceMs = 10_000, onGraceOver?: () => unknown) => {
          const drained = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          return closeWithGrace(drained, graceMs, onGraceOver, () => server.closeAllConnections());
        },
      });
    });
  });
}

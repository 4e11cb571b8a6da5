// Serving on Node with node:http.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connectionInfo, ResponseClosed, toRequest } from "./request.ts";
import { writeResponse } from "./response.ts";
import type { FetchHandler, RunningServer, ServeOptions } from "../types.ts";

export function serveNode(handler: FetchHandler, options: ServeOptions): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 5000 }, (req: IncomingMessage, res: ServerResponse) => {
    const gone = new ResponseClosed(res);
    let request: Request;
    try {
      request = toRequest(req);
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("400 Bad Request\n");
      return;
    }
    handler(request, connectionInfo(req, gone))
      .then((response) => writeResponse(res, response))
      .catch((e) => {
        console.error(`${new Date().toISOString()} error unhandled: ${(e as Error)?.stack ?? e}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        host: options.host,
        close: (graceMs = 10_000) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

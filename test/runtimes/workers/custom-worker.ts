// A Worker written by a user with handler(): the configuration in code (here built from a binding that
// carries the test backend's port, since the port is only known at run time).
import { handler, type WorkersHandler } from "../../../src/adapters/workers/entry.ts";

let h: WorkersHandler | undefined;

export default {
  fetch(request: Request, env: { BACKEND_PORT: string }): Promise<Response> {
    h ??= handler({
      "document-root": "/srv/custom",
      routes: [{ path: "/app/", target: `fcgi://127.0.0.1:${env.BACKEND_PORT}/srv/custom/`, "backend-type": "GENERIC" }],
    });
    return h.fetch(request);
  },
};

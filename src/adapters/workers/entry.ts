/**
 * The Workers entry: a module whose default export is `{ fetch }`, configured from the binding
 * PROXY_FCGI_CONFIG (the same JSON as the config file, as a JSON var or a string var).
 *
 * ```ts
 * // src/worker.ts (wrangler's "main")
 * export { default, ProxyFcgiPool } from "proxy-fcgi/workers";
 * ```
 * ```jsonc
 * // wrangler.jsonc
 * "vars": {
 *   "PROXY_FCGI_CONFIG": { "routes": [{ "path": "/", "target": "fcgi://php.example.net:9000/srv/app/" }] },
 *   "PROXY_FCGI_SECURE_TRANSPORT": "on"   // TLS to the backend; default "off"
 * }
 * ```
 *
 * The gateway is built on the first request (a Worker may open no socket at module scope) and kept for the
 * isolate's life. Connections are per request: workerd ends a socket with the request that opened it. With a
 * Durable Object namespace bound as PROXY_FCGI_POOL (class ProxyFcgiPool, see pool-object.ts), every request
 * goes through that object instead, whose connections outlive requests and are reused.
 * @module
 */
import type { EmbeddedGateway } from "../embedded.ts";
import { EnvGateway, type WorkersEnv } from "./env-gateway.ts";
import { configFailure, serveOnWorkers } from "./handler.ts";
import { forwardToPool } from "./pool-object.ts";

const gateway = new EnvGateway();

/** The Worker's fetch handler (typed, for JSR and .d.ts users). */
export interface WorkersEntry {
  fetch(request: Request, env: WorkersEnv): Promise<Response>;
}

const entry: WorkersEntry = {
  fetch(request: Request, env: WorkersEnv): Promise<Response> {
    if (env?.PROXY_FCGI_POOL !== undefined) return forwardToPool(env.PROXY_FCGI_POOL, request);
    let g: EmbeddedGateway;
    try {
      g = gateway.get(env);
    } catch (e) {
      return Promise.resolve(configFailure(e, "PROXY_FCGI_CONFIG"));
    }
    return serveOnWorkers(g, request);
  },
};

export default entry;

export { handler, createWorkersGateway, type WorkersConfig, type WorkersHandler, type WorkersHandlerOptions } from "./handler.ts";
export { ProxyFcgiPool, forwardToPool } from "./pool-object.ts";
export type { WorkersEnv, DurableObjectNamespaceLike } from "./env-gateway.ts";
export { workersConnector, type WorkersConnectorOptions } from "../../transport/workers.ts";

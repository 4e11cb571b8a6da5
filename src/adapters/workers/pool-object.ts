/**
 * A Durable Object that holds one gateway whose backend connections outlive requests and are reused
 * (FCGI_KEEP_CONN, the pool's smax/ttl), which a plain Worker cannot do: workerd ends a socket with the
 * request that opened it, but a Durable Object's sockets belong to the object.
 *
 * ```jsonc
 * // wrangler.jsonc, with the Workers entry as main (it exports ProxyFcgiPool)
 * "durable_objects": { "bindings": [{ "name": "PROXY_FCGI_POOL", "class_name": "ProxyFcgiPool" }] },
 * "migrations": [{ "tag": "v1", "new_sqlite_classes": ["ProxyFcgiPool"] }]
 * ```
 *
 * One object serves every request (one isolate, one thread): it trades throughput for reuse. The client
 * address still comes from cf-connecting-ip, which the forwarded request keeps.
 * @module
 */
import type { EmbeddedGateway } from "../embedded.ts";
import { CONFIG_BINDING, EnvGateway, type DurableObjectNamespaceLike, type WorkersEnv } from "./env-gateway.ts";
import { configFailure, serveOnWorkers } from "./handler.ts";

/** The Durable Object class to bind as PROXY_FCGI_POOL: one gateway whose backend connections are reused. */
export class ProxyFcgiPool {
  readonly #env: WorkersEnv;
  readonly #gateway = new EnvGateway({ connectionsOutliveRequests: true });

  constructor(_state: unknown, env: WorkersEnv) {
    this.#env = env;
  }

  fetch(request: Request): Promise<Response> {
    let g: EmbeddedGateway;
    try {
      g = this.#gateway.get(this.#env);
    } catch (e) {
      return Promise.resolve(configFailure(e, CONFIG_BINDING));
    }
    return serveOnWorkers(g, request);
  }
}

/** A Worker's fetch that hands the request to the pool object named `name` (one pool per name). */
export function forwardToPool(namespace: DurableObjectNamespaceLike, request: Request, name = "default"): Promise<Response> {
  return namespace.get(namespace.idFromName(name)).fetch(request);
}

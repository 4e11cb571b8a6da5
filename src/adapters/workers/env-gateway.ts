// The gateway configured from a Worker's bindings, built on first use and kept while the bindings stay the
// same (they only change with a new deployment, which starts new isolates; miniflare reloads do the same).
import type { GatewayOptions } from "../../gateway/types.ts";
import type { EmbeddedGateway } from "../embedded.ts";
import { createWorkersGateway, type WorkersConfig } from "./handler.ts";

/** The bindings the Workers entry reads. */
export interface WorkersEnv {
  /** The JSON configuration (the same as the config file), as a JSON var (object) or a string var. */
  readonly PROXY_FCGI_CONFIG?: WorkersConfig;
  /** "on": TLS to every backend. Default "off". */
  readonly PROXY_FCGI_SECURE_TRANSPORT?: string;
  /** A Durable Object namespace bound to ProxyFcgiPool: requests go through it, and connections are reused. */
  readonly PROXY_FCGI_POOL?: DurableObjectNamespaceLike;
}

/** The slice of a Durable Object namespace binding used to reach the pool object. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

export const CONFIG_BINDING = "PROXY_FCGI_CONFIG";

export class EnvGateway {
  readonly #extra: GatewayOptions;
  #config: WorkersConfig | undefined;
  #key = "";
  #gateway: EmbeddedGateway | undefined;

  /** `extra`: gateway options on top of the Workers defaults (the pool object turns reuse back on). */
  constructor(extra: GatewayOptions = {}) {
    this.#extra = extra;
  }

  /** The gateway for these bindings; throws when they are missing or the configuration is invalid. */
  get(env: WorkersEnv): EmbeddedGateway {
    const config = env?.PROXY_FCGI_CONFIG;
    // workerd hands the same binding objects to every request of an isolate: the identity check is the fast path.
    if (this.#gateway !== undefined && config === this.#config) return this.#gateway;
    if (config === undefined || config === null || config === "") {
      throw new Error(`the ${CONFIG_BINDING} binding is not set (a var holding the JSON configuration)`);
    }
    const tls = env.PROXY_FCGI_SECURE_TRANSPORT;
    if (tls !== undefined && tls !== "on" && tls !== "off") {
      throw new Error(`PROXY_FCGI_SECURE_TRANSPORT must be "on" or "off", not ${JSON.stringify(tls)}`);
    }
    const key = `${tls ?? "off"} ${typeof config === "string" ? config : JSON.stringify(config)}`;
    if (this.#gateway === undefined || key !== this.#key) {
      // A replaced gateway is left to finish what it serves (closing it would cut those requests short).
      this.#gateway = createWorkersGateway(config, CONFIG_BINDING, { ...(tls ? { secureTransport: tls } : {}), gateway: this.#extra });
      this.#key = key;
    }
    this.#config = config;
    return this.#gateway;
  }
}

// A complete GatewayConfig from the JSON config alone: what the embedded gateway (an object), the fetch-handler
// module (the PROXY_FCGI_CONFIG file) and the Workers entry (the PROXY_FCGI_CONFIG binding) start from.
import { ConfigError } from "../errors.ts";
import { appUses, checkAppTargets } from "./apps.ts";
import { buildGatewayConfig } from "./gateway-config.ts";
import { parseJsonConfig, readJsonConfig } from "./json.ts";
import type { JsonConfig } from "./json-types.ts";
import type { GatewayConfig } from "./types.ts";

/**
 * The JSON config as text or as an object (the same keys either way) → a validated GatewayConfig. Throws a
 * ConfigError naming `source` and the path of the bad key.
 */
export function configFromJson(config: string | JsonConfig, source: string): GatewayConfig {
  const file = typeof config === "string" ? parseJsonConfig(config, source) : readJsonConfig(config, source);
  // Only the proxy-fcgi command starts processes; here an app would silently never run.
  if (file.apps.length > 0) {
    throw new ConfigError(`${source}: apps`, "apps are started by the proxy-fcgi command; an embedded gateway, a fetch handler or a Worker " +
      "cannot start processes: start the application yourself and give its address (fcgi://HOST:PORT or unix:PATH|fcgi://localhost)");
  }
  const built = buildGatewayConfig({ file, ...(file.documentRoot ? { documentRoot: file.documentRoot } : {}) });
  checkAppTargets(appUses(built).map((u) => ({ ...u, where: `${source}: ${u.where}` })), []);
  return built;
}

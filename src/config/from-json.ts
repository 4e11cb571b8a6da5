// A complete GatewayConfig from the JSON config alone: what the fetch-handler module (PROXY_FCGI_CONFIG file)
// and the Workers entry (PROXY_FCGI_CONFIG binding) start from.
import { buildGatewayConfig } from "./gateway-config.ts";
import { parseJsonConfig } from "./json.ts";
import type { GatewayConfig } from "./types.ts";

export function configFromJson(text: string, source: string): GatewayConfig {
  const file = parseJsonConfig(text, source);
  return buildGatewayConfig({ file, ...(file.documentRoot ? { documentRoot: file.documentRoot } : {}) });
}

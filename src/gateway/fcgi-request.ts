// One request's FastCGI head: the CGI environment (script paths, standard variables, the route's env rules)
// encoded with BEGIN_REQUEST and PARAMS (and STDIN when the body is already in memory), ready for one write.
import { applyEnvRules } from "../cgi/apply-env-rules.ts";
import { buildEnv } from "../cgi/env.ts";
import { scriptPaths, type IsFile } from "../cgi/script-paths.ts";
import type { ConnectionInfo } from "../connection-info.ts";
import { HeaderFieldsTooLarge, ParamTooLargeError } from "../errors.ts";
import { encodeRequestHead } from "../protocol/request-head.ts";
import type { RouteConfig, Target } from "./config-types.ts";
import type { ProxyRequest } from "./messages.ts";
import type { BodyPlan } from "./request-body.ts";
import type { SiteScript } from "../site/types.ts";

/** What the head is built from, besides the route and the target. */
export interface HeadInput {
  readonly request: ProxyRequest;
  readonly info: ConnectionInfo;
  readonly method: string;
  readonly requestUri: string;
  readonly query: string;
  /** The decoded request path, and the part of it after the route prefix. */
  readonly path: string;
  readonly rest: string;
  readonly documentRoot: string;
  readonly serverSoftware: string;
  readonly body: BodyPlan;
  /** HTTP_HOST from the URL when the caller gave no connection info ("" otherwise). */
  readonly urlHost: string;
  /** A site's script: its paths are sent as they are, instead of the route's target mapping. */
  readonly script: SiteScript | undefined;
}

const EMPTY = new Uint8Array(0);

/**
 * The encoded head for `target`. Synchronous unless path-info=full probes the filesystem. Throws a
 * GatewayError: Forbidden for a script path that must not reach the backend, 431 for a variable too large.
 */
export function encodeHead(
  input: HeadInput,
  route: RouteConfig,
  target: Target,
  keepConn: boolean,
  extraEnv: ReadonlyArray<readonly [string, string]>,
  isFile: IsFile | undefined,
): Uint8Array | Promise<Uint8Array> {
  if (input.script !== undefined) return encode(input, route, keepConn, extraEnv, input.script);
  const paths = scriptPaths({
    target,
    backendType: route.backendType,
    pathInfoMode: route.pathInfo,
    documentRoot: input.documentRoot,
    uriPath: input.path,
    rest: input.rest,
  }, isFile);
  if (paths instanceof Promise) return paths.then((script) => encode(input, route, keepConn, extraEnv, script));
  return encode(input, route, keepConn, extraEnv, paths);
}

/** The environment for `script`, encoded; a variable too large for one record is a 431. */
function encode(
  input: HeadInput,
  route: RouteConfig,
  keepConn: boolean,
  extraEnv: ReadonlyArray<readonly [string, string]>,
  script: Parameters<typeof buildEnv>[0]["script"],
): Uint8Array {
  const body = input.body;
  try {
    const env = buildEnv({
      method: input.method,
      requestUri: input.requestUri,
      query: input.query,
      headers: input.request.headers,
      conn: input.info,
      script,
      documentRoot: input.documentRoot,
      serverSoftware: input.serverSoftware,
      contentLength: body.length,
      passAuthorization: route.passAuthorization,
      urlHost: input.urlHost,
    });
    for (const [k, v] of extraEnv) env.set(k, v);
    if (route.env.length > 0 || route.setEnvIf.length > 0) applyEnvRules(env, route.env, route.setEnvIf, input.request.headers);
    return encodeRequestHead({
      requestId: 1,
      keepConn,
      params: env,
      ...(body.kind === "inline" ? { stdin: body.bytes } : body.kind === "none" ? { stdin: EMPTY } : {}),
    });
  } catch (e) {
    if (e instanceof ParamTooLargeError) throw new HeaderFieldsTooLarge(e.message);
    throw e;
  }
}

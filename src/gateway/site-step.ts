// The step a site adds to the pipeline, after its route matched: ask the site what answers the request. A
// redirect, a refusal or a static file is answered here; a script goes on to the backend with its paths.
import { ConfiguredStatus, FileReadFailed, NotFound } from "../errors.ts";
import type { Site } from "../site/site.ts";
import { serveFile } from "../site/static/serve-file.ts";
import type { SiteFiles } from "../platform/types.ts";
import type { Call } from "./call.ts";
import type { ProxyResponse } from "./messages.ts";

const encoder = new TextEncoder();

/**
 * The site's answer to `call`, or undefined when a script must run (call.script is then set). `rel`: the path
 * under the site ("" or starting with "/"); `base`: the URL path the site is seen under.
 */
export async function siteStep(call: Call, site: Site, files: SiteFiles, rel: string, rawPath: string, base: string): Promise<ProxyResponse | undefined> {
  const rawQuery = call.query === "" && !call.requestUri.includes("?") ? null : call.query;
  const decision = await site.decide({ path: rel, rawPath, rawQuery, base });
  switch (decision.kind) {
    case "script":
      call.script = decision.script;
      call.documentRoot = decision.script.documentRoot;
      return undefined;
    case "status":
      return call.reject(decision.code === 404 ? new NotFound(decision.reason) : new ConfiguredStatus(decision.code, decision.reason));
    case "redirect":
      // 308 keeps the method and body (Caddy's canonical-path redirect does the same).
      return call.answer({
        status: 308,
        headers: [["location", decision.location], ["content-type", "text/plain; charset=utf-8"]],
        body: encoder.encode(`308 Permanent Redirect: ${decision.location}\n`),
      }, "redirect");
    case "file":
      try {
        return call.answer(await serveFile(call.request, decision.file, decision.name, decision.root, site.config, files), "static");
      } catch (e) {
        return call.reject(new FileReadFailed((e as Error).message));
      }
  }
}

// The demo backend `npm start` runs when no route is configured: a FastCGI responder that shows the CGI
// environment it received, so a fresh checkout demonstrates the whole path without PHP.
import { serveResponder, type ResponderHandler } from "./server.ts";

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export const demoHandler: ResponderHandler = async (req, reply) => {
  let bodyBytes = 0;
  for await (const chunk of req.stdin) bodyBytes += chunk.length;
  const rows = [...req.params].sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join("\n");
  await reply.stdout(
    "Content-Type: text/html; charset=utf-8\r\n\r\n" +
      `<!doctype html><title>proxy-fcgi demo</title>
<h1>proxy-fcgi is working</h1>
<p>This page comes from the built-in demo FastCGI responder, through the gateway.
${req.params.get("REQUEST_METHOD")} with ${bodyBytes} body bytes.
Configure a real backend with <code>--proxy-pass "/ fcgi://127.0.0.1:9000/srv/app/"</code>.</p>
<table>
${rows}
</table>
`,
  );
  reply.end();
};

export async function startDemoBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const server = await serveResponder({ kind: "tcp", host: "127.0.0.1", port: 0 }, demoHandler);
  const ep = server.endpoint;
  return { port: ep.kind === "tcp" ? ep.port : 0, close: () => server.close() };
}

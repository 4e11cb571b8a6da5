// Test backend: answers every request with a JSON dump of the params it received and what arrived on STDIN
// (length and SHA-1), so tests can compare CGI variables and body integrity exactly.
import { createHash } from "node:crypto";
import type { ResponderHandler } from "../../src/fcgi-server/server.ts";

export interface EchoBody {
  params: Record<string, string>;
  stdinLength: number;
  stdinSha1: string;
}

export const echoHandler: ResponderHandler = async (req, reply) => {
  const hash = createHash("sha1");
  let length = 0;
  try {
    for await (const chunk of req.stdin) {
      hash.update(chunk);
      length += chunk.length;
    }
  } catch {
    reply.end(1);
    return;
  }
  const body: EchoBody = { params: Object.fromEntries(req.params), stdinLength: length, stdinSha1: hash.digest("hex") };
  await reply.stdout(`Content-Type: application/json\r\n\r\n${JSON.stringify(body)}`);
  reply.end();
};

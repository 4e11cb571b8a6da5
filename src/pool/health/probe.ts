// One health probe: a TCP connect, or a complete FastCGI request whose response head and body are checked.
import { ProbeHead } from "./probe-head.ts";
import { RecordType } from "../../protocol/constants.ts";
import { RecordDecoder } from "../../protocol/decoder.ts";
import { encodeRequestHead } from "../../protocol/request-head.ts";
import type { Connector, Endpoint } from "../../transport/types.ts";
import type { HealthOptions } from "./health-options.ts";

const MAX_BODY = 64 * 1024;

/** Resolves with undefined when the member passed, else the reason it failed. */
export async function probe(connector: Connector, endpoint: Endpoint, filenamePrefix: string, options: HealthOptions, timeoutMs: number): Promise<string | undefined> {
  let conn;
  try {
    conn = await connector(endpoint, { timeoutMs });
  } catch (e) {
    return `connect failed: ${(e as Error).message}`;
  }
  if (options.method === "TCP") {
    conn.close();
    return undefined;
  }
  const c = conn;
  return new Promise<string | undefined>((resolve) => {
    const parser = new ProbeHead();
    let status = 0;
    let body = "";
    let done = false;
    const text = new TextDecoder();
    const finish = (result: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onStdout = (data: Uint8Array) => {
      if (status === 0) {
        try {
          const r = parser.push(data);
          if (!r) return;
          status = r.status;
          data = r.body;
        } catch (e) {
          finish(`invalid response head: ${(e as Error).message}`);
          return;
        }
      }
      if (body.length < MAX_BODY) body += text.decode(data, { stream: true });
    };
    const decoder = new RecordDecoder({
      stream(type, _id, data) {
        if (type === RecordType.STDOUT) onStdout(data);
      },
      streamEnd() {},
      beginRequest() {},
      abortRequest() {},
      endRequest() {
        if (status === 0) return finish("no response head");
        const okStatus = options.expectStatus.length > 0 ? options.expectStatus.includes(status) : status >= 200 && status < 400;
        if (!okStatus) return finish(`status ${status}`);
        if (options.expectBody && !options.expectBody.test(body)) return finish(`body does not match ${options.expectBody}`);
        finish(undefined);
      },
      management() {},
    }, { isExpectedRequestId: (id) => id === 1 });
    c.setHandlers({
      data(chunk) {
        try {
          decoder.push(chunk);
        } catch (e) {
          finish(`protocol error: ${(e as Error).message}`);
        }
      },
      end: () => finish("connection closed before END_REQUEST"),
      close: () => finish("connection closed before END_REQUEST"),
    });
    c.write(encodeRequestHead({
      requestId: 1,
      keepConn: false,
      params: [
        ["GATEWAY_INTERFACE", "CGI/1.1"],
        ["REQUEST_METHOD", "GET"],
        ["SCRIPT_NAME", options.uri],
        ["SCRIPT_FILENAME", filenamePrefix + options.uri],
        ["REQUEST_URI", options.uri],
        ["QUERY_STRING", ""],
        ["SERVER_PROTOCOL", "HTTP/1.1"],
        ["SERVER_SOFTWARE", "proxy-fcgi health check"],
        ["REMOTE_ADDR", "127.0.0.1"],
      ],
      stdin: new Uint8Array(0),
    }));
  });
}

// FCGI_GET_VALUES (FastCGI spec §4.1): asks an application how many connections and requests it takes and
// whether it multiplexes. Sent on a throwaway connection (PHP-FPM closes the connection after answering).
import { FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, RecordType } from "../protocol/constants.ts";
import { RecordDecoder } from "../protocol/decoder.ts";
import { getValues } from "../protocol/encode.ts";
import { parseGetValuesResult } from "../protocol/pairs.ts";
import type { Connector, Endpoint } from "../transport/types.ts";

export interface Capabilities {
  /** undefined where the application did not say. */
  readonly maxConns?: number;
  readonly maxReqs?: number;
  readonly mpxsConns?: boolean;
}

/** Resolves with what the application reported, or undefined when it did not answer within `timeoutMs`. */
export async function queryValues(connector: Connector, endpoint: Endpoint, timeoutMs: number): Promise<Capabilities | undefined> {
  const conn = await connector(endpoint, { timeoutMs });
  return new Promise<Capabilities | undefined>((resolve) => {
    let done = false;
    const finish = (result: Capabilities | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const decoder = new RecordDecoder({
      stream() {},
      streamEnd() {},
      beginRequest() {},
      abortRequest() {},
      endRequest() {},
      management(type, content) {
        if (type !== RecordType.GET_VALUES_RESULT) return;
        const values = parseGetValuesResult(content);
        finish({
          ...numberOf(values.get(FCGI_MAX_CONNS), "maxConns"),
          ...numberOf(values.get(FCGI_MAX_REQS), "maxReqs"),
          ...(values.has(FCGI_MPXS_CONNS) ? { mpxsConns: values.get(FCGI_MPXS_CONNS)!.trim() === "1" } : {}),
        });
      },
    }, { isExpectedRequestId: () => false });
    conn.setHandlers({
      data(chunk) {
        try {
          decoder.push(chunk);
        } catch {
          finish(undefined);
        }
      },
      end: () => finish(undefined),
      close: () => finish(undefined),
    });
    conn.write(getValues([FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS]));
    conn.shutdownWrite();
  });
}

function numberOf(text: string | undefined, key: "maxConns" | "maxReqs"): Partial<Capabilities> {
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isInteger(n) && n >= 0 ? { [key]: n } : {};
}

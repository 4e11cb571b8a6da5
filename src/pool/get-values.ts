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

/**
 * What the application said: its capabilities; `"silent"`, no answer within the time (a libfcgi application
 * whose workers are all busy answers only once one accepts: ask again later); or `"closed"`, it closed or
 * reset the connection, or sent garbage, instead of answering (Debian's Ruby fcgi library dies on the record).
 */
export type ValuesAnswer = Capabilities | "silent" | "closed";

/** Asks once on a connection of its own; rejects only when connecting fails. */
export async function queryValues(connector: Connector, endpoint: Endpoint, timeoutMs: number): Promise<ValuesAnswer> {
  const conn = await connector(endpoint, { timeoutMs });
  return new Promise<ValuesAnswer>((resolve) => {
    let done = false;
    const finish = (result: ValuesAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish("silent"), timeoutMs);
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
          finish("closed");
        }
      },
      end: () => finish("closed"),
      close: () => finish("closed"),
    });
    conn.write(getValues([FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS]));
    conn.shutdownWrite();
  });
}

function numberOf(text: string | undefined, key: "maxConns" | "maxReqs"): Partial<Capabilities> {
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isInteger(n) && n >= 0 ? { [key]: n } : {};
}

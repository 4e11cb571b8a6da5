// One request's conversation with a backend, as a state machine: connecting → head → body → done. Records go
// out, records come in, and the response is handed over as soon as the CGI head is parsed; its body
// (response-body.ts) then streams the rest of STDOUT. Every ending goes through #finish, which tells the owner
// once: the owner logs it there, so each error is logged exactly once.
import { CgiHeadParser, type HeadLimits } from "../cgi/response-head.ts";
import { BadGateway, ClientGone, ConnectFailed, GatewayError, GatewayTimeout, InvalidHeadError, PayloadTooLarge, ProtocolError, ServiceUnavailable } from "../errors.ts";
import type { ChannelHandlers } from "../pool/backend-connection.ts";
import type { BackendPool, FreshReason, Lease } from "../pool/backend-pool.ts";
import { ProtocolStatus } from "../protocol/constants.ts";
import { setRequestId } from "../protocol/request-id.ts";
import { encodeStdinChunk, encodeStdinEnd } from "../protocol/stdin.ts";
import type { AbortHook } from "../connection-info.ts";
import type { BodyPlan } from "./request-body.ts";
import { connectFailed } from "./connect-error.ts";
import { errorResponse } from "./error-response.ts";
import type { ProxyResponse } from "./messages.ts";
import { ResponseBody, type BodySource } from "./response-body.ts";
import { looksStale } from "./stale-retry.ts";
import { StderrLines } from "./stderr-lines.ts";
import type { Ticker, Ticking } from "./ticker.ts";

/** Who started the exchange: hears its STDERR lines and its end, and is asked about a failed connect. */
export interface ExchangeOwner {
  /**
   * The client-gone hook, fetched only once the exchange has lived a tick: most exchanges end sooner, and
   * on Deno merely touching request.signal costs ~8 µs per request (it is then aborted, with a DOMException,
   * after every response).
   */
  clientGone(): AbortHook | undefined;
  /** Called for each STDERR line. */
  stderrLine(line: string): void;
  /**
   * Connecting failed (nothing was sent). true: the owner takes the failure (a balancer tries another member),
   * run() resolves undefined and the outcome is `handedBack`; false: the request ends with it.
   */
  connectFailed(error: ConnectFailed): boolean;
  /** Called once when the exchange is over. */
  done(outcome: ExchangeOutcome): void;
}

export interface ExchangeParams {
  readonly pool: BackendPool;
  readonly connectTimeoutMs: number;
  readonly ioTimeoutMs: number;
  readonly limits: HeadLimits;
  readonly maxStderr: number;
  /** The encoded BEGIN_REQUEST + PARAMS (+ STDIN for inline bodies). */
  readonly head: Uint8Array;
  readonly body: BodyPlan;
  /** HEAD requests get no body from us, whatever the backend writes. */
  readonly discardBody: boolean;
  /** One body chunk per socket read (see FetchOptions.mergeChunks). */
  readonly mergeChunks: boolean;
  /** Error a failed body with `undefined` (see FetchOptions.quietBodyErrors). */
  readonly quietBodyErrors: boolean;
  /**
   * A reused connection that fails before any response byte may simply have gone stale: such a request is
   * sent again once on a fresh connection when this is set (idempotent method, body empty or in memory).
   */
  readonly retryable: boolean;
  /** Checks the io timeout and starts the client-gone watch. */
  readonly ticker: Ticker<Exchange>;
  readonly owner: ExchangeOwner;
}

/** How an exchange ended: status sent (0 when the client left) and why it ended badly. */
export interface ExchangeOutcome {
  readonly status: number;
  readonly error?: Error;
  readonly clientAborted?: boolean;
  /** Response body bytes handed to the client. */
  readonly bytesOut: number;
  /** Bytes written to and read from the backend (records included): bytraffic's measure. */
  readonly backendWritten: number;
  readonly backendRead: number;
  /** The backend answered php-cgi's `404 No input file specified.` (it wants the plain script path). */
  readonly noInputFile?: boolean;
  /** The connect failure was handed back to the owner (ExchangeOwner.connectFailed): not the request's end. */
  readonly handedBack?: boolean;
}

type State = "connecting" | "head" | "body" | "done";

/** One request on one backend connection (a stale connection's retry included). */
export class Exchange implements ChannelHandlers, Ticking, BodySource {
  readonly #p: ExchangeParams;
  readonly #parser: CgiHeadParser;
  /** Made on the first STDERR bytes: most requests have none. */
  #stderr: StderrLines | undefined;
  #state: State = "connecting";
  #lease: Lease | undefined;
  /** Bytes received from the backend on the current lease (a stale-connection retry needs none). */
  #received = 0;
  #retried = false;
  /** When a tick first saw the request sent and unanswered (0: not yet), for starve-after. */
  #sentSeen = 0;
  /** The pool counts this request as starving for its first byte. */
  #starving = false;
  #resolve!: (r: ProxyResponse | undefined) => void;
  readonly #body: ResponseBody;
  /** The parsed head, until the response is handed over (see #deliver). */
  #head: { status: number; statusText: string; headers: Array<[string, string]>; noBody: boolean } | undefined;
  #status = 0;
  #noInputFile = false;
  #backendWritten = 0;
  #backendRead = 0;
  /** Backend activity since the last tick. */
  #active = true;
  /** When the backend was last seen active, to a tick's precision. */
  #quietSince = 0;
  #watching: AbortHook | undefined;
  #stdinDone = false;
  /** END_REQUEST arrived: the backend is done with the request, there is nothing to abort. */
  #backendEnded = false;
  readonly #onAbort = () => this.#clientGone();

  constructor(params: ExchangeParams) {
    this.#p = params;
    this.#parser = new CgiHeadParser(params.limits);
    this.#body = new ResponseBody(this, params.mergeChunks, params.quietBodyErrors);
  }

  /**
   * Resolves with the response once the head is parsed, or with the error response of a failure before it
   * (already logged by the owner's done); undefined when the owner took a failed connect. Never rejects.
   */
  run(): Promise<ProxyResponse | undefined> {
    const response = new Promise<ProxyResponse | undefined>((resolve) => {
      this.#resolve = resolve;
    });
    this.#p.ticker.add(this);
    // A request that may not be sent twice goes only on a connection opened for it: a pooled one may be
    // closing under us (PHP-FPM's pm.max_requests), and then nothing could safely try again.
    this.#start(this.#p.retryable ? undefined : "unsafe");
    return response;
  }

  /** On an idle pooled connection at once (the usual case, no promise to wait for); else acquire one. */
  #start(fresh?: FreshReason): void {
    const lease = fresh ? undefined : this.#p.pool.acquireNow();
    if (lease) this.#begin(lease);
    else void this.#acquire(fresh);
  }

  /** The response has begun (the pool's starvation count asks). */
  get responding(): boolean {
    return this.#received > 0;
  }

  async #acquire(fresh: FreshReason | undefined): Promise<void> {
    const p = this.#p;
    let lease: Lease;
    try {
      lease = await p.pool.acquire(p.connectTimeoutMs, fresh);
    } catch (e) {
      this.#fail(e instanceof GatewayError ? e : connectFailed(p.pool.endpoint, e, p.connectTimeoutMs));
      return;
    }
    if (this.#state === "done") {
      p.pool.release(lease, lease.conn.healthy); // the client left while we were connecting: nothing was sent
      return;
    }
    this.#begin(lease);
  }

  #begin(lease: Lease): void {
    const p = this.#p;
    this.#lease = lease;
    this.#received = 0;
    this.#backendEnded = false;
    if (this.#starving) this.#unstarve(false);
    this.#sentSeen = 0;
    this.#state = "head";
    lease.conn.bind(lease.requestId, this);
    this.#active = true;
    if (lease.requestId !== 1) setRequestId(p.head, lease.requestId);
    lease.conn.write(p.head);
    this.#backendWritten += p.head.length;
    if (p.body.kind === "stream") void this.#pumpBody(p.body.source, p.body.max);
    else this.#stdinDone = true;
  }

  /** Streams the request body into STDIN records, paced by the socket. */
  async #pumpBody(source: ReadableStream<Uint8Array>, max: number): Promise<void> {
    const reader = source.getReader();
    let sent = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.#state === "done") break;
        const { conn, requestId } = this.#lease!;
        if (done) {
          conn.write(encodeStdinEnd(requestId));
          this.#stdinDone = true;
          break;
        }
        sent += value.length;
        if (sent > max) {
          this.#fail(new PayloadTooLarge(`request body is over its limit of ${max} bytes`));
          break;
        }
        const records = encodeStdinChunk(requestId, value);
        this.#backendWritten += records.length;
        if (!conn.write(records)) {
          await conn.drained();
          this.#touch();
        }
      }
    } catch (e) {
      // The client's body failed (it went away) or the backend connection closed under us.
      if (this.#state !== "done") {
        if (this.#lease?.conn.closed) return; // `failed` reports the backend side
        this.#clientGone(e as Error);
      }
    } finally {
      if (this.#state === "done") reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  // --- records from the backend (ChannelHandlers) ---

  stdout(data: Uint8Array): void {
    this.#touch();
    if (this.#starving) this.#unstarve(true);
    this.#received += data.length;
    this.#backendRead += data.length;
    if (this.#state === "body") {
      this.#body.enqueue(data);
      return;
    }
    if (this.#state !== "head") return;
    let parsed;
    try {
      parsed = this.#parser.push(data);
    } catch (e) {
      const reason = e instanceof InvalidHeadError ? e.reason : String(e);
      this.#fail(new BadGateway(`invalid response head from backend: ${reason}`, { cause: e }));
      return;
    }
    if (!parsed) return;
    const { head, body } = parsed;
    const noBody = this.#p.discardBody || head.status === 204 || head.status === 304;
    this.#status = head.status;
    this.#state = "body";
    // The parser let through only token names and values without control bytes: valid for every server.
    this.#head = { status: head.status, statusText: head.statusText, headers: head.headers, noBody };
    // Deliver once the rest of this socket chunk is decoded: when END_REQUEST is in it too (a small
    // response), the response gets the whole body as bytes, with no stream to feed.
    this.#body.hold(body);
    queueMicrotask(() => this.#deliver());
  }

  /** Hands the client a streaming response (the response is still coming). */
  #deliver(): void {
    const head = this.#head;
    if (!head || this.#state !== "body") return;
    this.#head = undefined;
    const stream = this.#body.open(head.noBody);
    this.#resolve({ status: head.status, statusText: head.statusText, headers: head.headers, body: stream });
    this.#body.sendHeld();
  }

  /** The whole response arrived before it was handed over: its body goes as bytes. */
  #deliverComplete(): void {
    const head = this.#head!;
    this.#head = undefined;
    const body = this.#body.bytes(head.noBody);
    if (body !== null && head.status === 404 && startsWith(body, NO_INPUT_FILE)) this.#noInputFile = true;
    this.#resolve({ status: head.status, statusText: head.statusText, headers: head.headers, body });
  }

  stderr(data: Uint8Array): void {
    this.#touch();
    if (this.#starving) this.#unstarve(true);
    this.#received += data.length;
    this.#backendRead += data.length;
    if (this.#stderr === undefined) {
      const owner = this.#p.owner;
      this.#stderr = new StderrLines(this.#p.maxStderr, (line) => owner.stderrLine(line));
    }
    this.#stderr.push(data);
  }

  end(_appStatus: number, protocolStatus: number): void {
    if (this.#state === "done") return;
    this.#backendEnded = true;
    if (this.#state === "head") {
      // FastCGI spec §5.5: the application refused the request.
      if (protocolStatus === ProtocolStatus.OVERLOADED) this.#fail(new ServiceUnavailable("backend is overloaded (END_REQUEST FCGI_OVERLOADED)"));
      else if (protocolStatus === ProtocolStatus.CANT_MPX_CONN) this.#fail(new ServiceUnavailable("backend cannot multiplex (END_REQUEST FCGI_CANT_MPX_CONN)"));
      else if (protocolStatus === ProtocolStatus.UNKNOWN_ROLE) this.#fail(new BadGateway("backend does not know the RESPONDER role (END_REQUEST FCGI_UNKNOWN_ROLE)"));
      else if (this.#parser.buffered === 0) this.#fail(new BadGateway("backend ended the request without any output"));
      else this.#fail(new BadGateway(`backend ended the request inside the response head (${this.#parser.buffered} bytes, no blank line)`));
      return;
    }
    if (this.#head) {
      // Small bodies go out as bytes; a larger one still streams (measured on Bun: a 64 KiB Response made from
      // bytes cost twice the CPU of the same body streamed).
      if (this.#body.heldBytes() <= COMPLETE_BODY_MAX) this.#deliverComplete();
      else this.#deliver();
    }
    this.#body.close();
    this.#finish(undefined, false, true);
  }

  failed(error: Error): void {
    if (this.#state === "done") return;
    if (this.#state === "head" && this.#canRetry(error)) {
      this.#retried = true;
      const lease = this.#lease!;
      this.#lease = undefined;
      this.#p.pool.release(lease, false);
      this.#start("retry");
      return;
    }
    if (this.#state === "head") {
      const what = error instanceof ProtocolError ? `protocol error (${error.reason})` : "connection closed";
      this.#fail(new BadGateway(`backend ${what} before the response head: ${error.message}`, { cause: error }));
      return;
    }
    this.#fail(new BadGateway(`backend ${error instanceof ProtocolError ? "protocol error" : "connection lost"} mid-body: ${error.message}`, { cause: error }));
  }

  // --- internals ---

  // --- the response body's requests (BodySource) ---

  pause(): void {
    this.#lease?.conn.pause();
  }

  resume(): void {
    this.#touch();
    this.#lease?.conn.resume();
  }

  cancelled(): void {
    this.#clientGone();
  }

  #touch(): void {
    this.#active = true;
  }

  /** io timeout = no backend activity for ioTimeoutMs; the client-gone watch starts on the first tick. */
  tick(now: number): void {
    if (this.#state === "done") return;
    if (this.#watching === undefined) {
      const hook = this.#p.owner.clientGone();
      if (hook) {
        this.#watching = hook;
        hook.addEventListener("abort", this.#onAbort, { once: true });
        if (hook.aborted) {
          this.#clientGone();
          return;
        }
      }
    }
    // Waiting for a connection has its own timeouts (connect, acquire); while the client is the slow side,
    // the backend's silence is ours.
    if (this.#state === "head" && this.#received === 0) this.#watchFirstByte(now);
    if (this.#active || this.#body.paused || this.#state === "connecting") {
      this.#active = false;
      this.#quietSince = now;
      return;
    }
    const timeout = this.#p.ioTimeoutMs;
    if (now - this.#quietSince >= timeout) {
      this.#fail(new GatewayTimeout(`backend sent nothing for ${timeout} ms${this.#state === "head" ? " before the response head" : " mid-body"}`));
    }
  }

  /** From the first tick that finds the request sent and unanswered; past starve-after the pool hears of it. */
  #watchFirstByte(now: number): void {
    if (this.#sentSeen === 0) {
      this.#sentSeen = now;
      return;
    }
    const waited = now - this.#sentSeen;
    if (!this.#starving && waited >= this.#p.pool.options.starveAfterMs) {
      this.#starving = true;
      this.#p.pool.starving(this, waited);
    }
  }

  #unstarve(gotFirstByte: boolean): void {
    this.#starving = false;
    this.#p.pool.starved(this, gotFirstByte);
  }

  /** Ends the exchange from outside (the gateway's shutdown): as any failure, logged once by `done`. */
  cut(error: GatewayError): void {
    this.#fail(error);
  }

  /** Ends the exchange with an error: before the head the client gets its status; after, an aborted body. */
  #fail(error: GatewayError): void {
    if (this.#state === "done") return;
    const before = this.#state === "connecting" || this.#state === "head" || this.#head !== undefined;
    if (before) {
      this.#head = undefined;
      this.#body.drop();
      if (error instanceof ConnectFailed && this.#p.owner.connectFailed(error)) {
        this.#resolve(undefined);
        this.#finish(error, false, false, true);
        return;
      }
      this.#status = error.status;
      this.#resolve(errorResponse(error));
    } else {
      this.#body.error(error);
    }
    this.#abortBackend();
    this.#finish(error);
  }

  /** The client disconnected: FCGI_ABORT_REQUEST, then close the connection (never reuse it). */
  #clientGone(cause?: Error): void {
    if (this.#state === "done") return;
    const gone = new ClientGone("client went away", { cause });
    if (this.#state === "connecting" || this.#state === "head" || this.#head !== undefined) {
      this.#head = undefined;
      this.#body.drop();
      this.#resolve(errorResponse(gone)); // nobody reads it: the client is gone
    } else {
      this.#body.error(gone);
    }
    this.#abortBackend();
    this.#finish(gone, true);
  }

  /**
   * A reused connection that closed or reset before any response byte is most likely stale (the backend
   * dropped it while idle): one retry on a fresh connection, never after a timeout, never for a streamed body.
   */
  #canRetry(error: Error): boolean {
    if (this.#retried || !this.#p.retryable || this.#received > 0 || !this.#lease?.reused) return false;
    return looksStale(error);
  }

  /** The client left or we gave up: FCGI_ABORT_REQUEST; a connection carrying only us is then closed. */
  #abortBackend(): void {
    const lease = this.#lease;
    if (!lease || lease.conn.closed || this.#backendEnded) return;
    lease.conn.abort(lease.requestId);
    if (!this.#p.pool.multiplexing) lease.conn.close();
  }

  #finish(error?: Error, clientAborted = false, ended = false, handedBack = false): void {
    if (this.#state === "done") return;
    this.#state = "done";
    if (this.#starving) this.#unstarve(false);
    this.#p.ticker.delete(this);
    this.#watching?.removeEventListener("abort", this.#onAbort);
    this.#stderr?.flush();
    const lease = this.#lease;
    if (lease) {
      // The body may have ended while its reader was slow: a pooled connection must not stay paused.
      if (this.#body.unpause()) lease.conn.resume();
      // A backend that answered before reading all its input leaves STDIN unfinished: the connection's
      // state is unknown, so it is not reused.
      const ok = ended && this.#stdinDone;
      // Decide after the rest of the current socket chunk is decoded: bytes after END_REQUEST make it unusable.
      queueMicrotask(() => this.#p.pool.release(lease, ok));
    }
    this.#p.owner.done({
      status: clientAborted ? 0 : this.#status,
      error,
      clientAborted,
      bytesOut: this.#body.bytesOut,
      backendWritten: this.#backendWritten,
      backendRead: this.#backendRead,
      ...(this.#noInputFile ? { noInputFile: true } : {}),
      ...(handedBack ? { handedBack: true } : {}),
    });
  }
}


/** php-cgi's answer when SCRIPT_FILENAME is not a plain path (php-src sapi/cgi). */
const NO_INPUT_FILE = new TextEncoder().encode("No input file specified.");

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Bodies up to this size that arrive whole with their head are handed over as bytes, not streamed. */
const COMPLETE_BODY_MAX = 16 * 1024;

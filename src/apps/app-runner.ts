// One supervised app: its socket (fd0) or its self-bound address, its children, their restarts and its stop.
// A child that exits 0 recycled itself (php-cgi after PHP_FCGI_MAX_REQUESTS) and is replaced at once; a crash
// is restarted after a backoff that doubles per crash; CRASH_LIMIT crashes within CRASH_WINDOW_MS mark the app
// failed: its socket is closed, so its routes answer 503 (connection refused) instead of waiting.
import { unlinkSync } from "node:fs";
import { AppStartError } from "../errors.ts";
import type { Connector } from "../transport/types.ts";
import type { Child, ChildExit, ListeningSocket, Processes } from "../platform/processes/types.ts";
import { appEnvironment, fillPlaceholders } from "./app-env.ts";
import { phpFpmCommand } from "./php-fpm.ts";
import { CRASH_LIMIT, CRASH_WINDOW_MS, RESTART_BASE_MS, RESTART_MAX_MS, type AppConfig } from "./types.ts";

/** Where the runner's lines go: the gateway's log. */
export type AppLog = (level: "info" | "warn" | "error", message: string) => void;

/** starting → running → (failed | stopped). */
export type AppState = "starting" | "running" | "failed" | "stopped";

/** Connections queued for children that have not accepted yet (the kernel caps it at somaxconn). */
const BACKLOG = 511;
/** php-fpm's own log lines that report, not warn ("[date] NOTICE: ready to handle connections"). */
const NOTICE = /^\[[^\]]*\] (NOTICE|DEBUG): /;
/** After SIGKILL, how long to wait for the exit to be reported, ms. */
const KILL_WAIT_MS = 2_000;
/** socket=self: interval between connection attempts while waiting for the app, ms. */
const PROBE_INTERVAL_MS = 50;

interface Slot {
  child: Child | null;
  /** A pending restart after a crash. */
  timer: ReturnType<typeof setTimeout> | null;
  /** max-lifetime: when the process is replaced. */
  life: ReturnType<typeof setTimeout> | null;
}

/** Supervises one app. */
export class AppRunner {
  readonly config: AppConfig;
  #processes: Processes;
  #connect: Connector;
  #log: AppLog;
  #env: Record<string, string>;
  #parentEnv: Readonly<Record<string, string | undefined>>;
  /** The command line as started (placeholders filled; for php-fpm, the one that runs the written pool). */
  #argv: string[] = [];
  #socket: ListeningSocket | null = null;
  #slots: Slot[] = [];
  #crashes: number[] = [];
  #state: AppState = "starting";
  /** Processes a reload replaced, told to stop; their exit is expected. */
  #retiring = new Set<Child>();
  /** Temporary socket names used so far (Node). */
  #generation = 0;
  /** Restarts so far (recycling and crashes), for stats. */
  restarts = 0;

  constructor(config: AppConfig, processes: Processes, connect: Connector, log: AppLog, parentEnv: Readonly<Record<string, string | undefined>>) {
    this.config = config;
    this.#processes = processes;
    this.#connect = connect;
    this.#log = log;
    this.#env = appEnvironment(config, parentEnv);
    this.#parentEnv = parentEnv;
  }

  get state(): AppState {
    return this.#state;
  }

  /** Pids of the running children. */
  get pids(): number[] {
    return this.#slots.flatMap((s) => (s.child ? [s.child.pid] : []));
  }

  /** Opens the socket (fd0) and starts every child; socket=self resolves once the app accepts a connection. */
  async start(): Promise<void> {
    const c = this.config;
    this.#argv = this.#commandLine();
    if (c.socket === "fd0" && !this.#processes.holdsSockets && c.count > 1) {
      throw new AppStartError(c.name, `count=${c.count} needs a runtime that holds the socket between restarts ` +
        `(Bun or Deno); on ${this.#processes.runtime} run one process with workers of its own (children=N for php-cgi)`);
    }
    if (c.socket === "fd0" && this.#processes.holdsSockets) {
      try {
        this.#socket = await this.#processes.listen(c.listen, BACKLOG);
      } catch (e) {
        throw new AppStartError(c.name, `cannot listen on ${where(c)}: ${(e as Error).message}`, { cause: e });
      }
    }
    for (let i = 0; i < c.count; i++) {
      const slot: Slot = { child: null, timer: null, life: null };
      this.#slots.push(slot);
      try {
        await this.#start(slot);
      } catch (e) {
        await this.stop();
        throw new AppStartError(c.name, `cannot listen on ${where(c)}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (c.socket === "self") {
      try {
        await this.#waitAccepting();
      } catch (e) {
        await this.stop();
        throw e;
      }
    }
    if (this.#state === "starting") this.#state = "running";
    this.#log("info", `app ${c.name}: ${c.count} × ${this.#program} on ${where(c)} (socket=${c.socket}, pid ${this.pids.join(" ")})`);
  }

  /**
   * The command line to start: php-fpm on the pool file written now, or the command with its placeholders
   * filled, behind util-linux's setpriv (Debian: essential) when it runs as another user.
   */
  #commandLine(): string[] {
    const c = this.config;
    if (c.kind === "php-fpm") {
      const dir = c.listen.kind === "unix" ? c.listen.path.slice(0, c.listen.path.lastIndexOf("/")) : ".";
      return phpFpmCommand(c, dir, this.#parentEnv, asRoot());
    }
    const argv = c.command.map((a) => fillPlaceholders(a, c));
    if (c.runAs === null) return argv;
    if (!asRoot()) throw new AppStartError(c.name, "user= and group= need the gateway to run as root");
    return ["setpriv", `--reuid=${c.runAs.user}`, `--regid=${c.runAs.group}`, "--init-groups", "--", ...argv];
  }

  /** The program, for log lines (not setpriv in front of it). */
  get #program(): string {
    return this.config.runAs === null ? this.#argv[0]! : this.#argv[this.#argv.indexOf("--") + 1]!;
  }

  /**
   * Starts the slot's child. fd0 where the gateway cannot hold the socket (Node): a fresh socket at a private
   * name, the child started on it, then moved over the app's path and let go, all in this turn of the loop.
   */
  async #start(slot: Slot): Promise<void> {
    const c = this.config;
    if (c.socket !== "fd0" || this.#processes.holdsSockets || c.listen.kind !== "unix") {
      this.#spawn(slot, this.#socket?.fd ?? null);
      return;
    }
    const fresh = await this.#processes.listen({ ...c.listen, path: `${c.listen.path}.${++this.#generation}` }, BACKLOG);
    try {
      this.#spawn(slot, fresh.fd);
      fresh.publish(c.listen.path);
    } finally {
      fresh.close();
    }
  }

  #spawn(slot: Slot, stdinFd: number | null): void {
    const c = this.config;
    const [program, ...args] = this.#argv;
    let child: Child;
    child = this.#processes.spawn(
      { command: program!, args, env: this.#env, cwd: c.cwd, stdinFd },
      (stream, line) => this.#log(stream === "stderr" && !NOTICE.test(line) ? "warn" : "info", `app ${c.name} pid ${child.pid}: ${line}`),
    );
    slot.child = child;
    void child.exited.then((exit) => this.#exited(slot, child, exit));
    if (c.maxLifetimeMs !== null) {
      // mod_fcgid's ProcessLifeTime: replaced gracefully once it has run this long.
      if (slot.life) clearTimeout(slot.life);
      slot.life = setTimeout(() => {
        slot.life = null;
        if (this.#state !== "running" || slot.child !== child) return;
        this.#log("info", `app ${c.name} pid ${child.pid}: max-lifetime reached, replacing it`);
        this.#replace(slot).catch((e: Error) => this.#log("error", `app ${c.name}: cannot start a new process: ${e.message}`));
      }, c.maxLifetimeMs);
      (slot.life as { unref?: () => void }).unref?.();
    }
  }

  #restart(slot: Slot): void {
    this.restarts++;
    this.#start(slot).catch((e: Error) => {
      this.#log("error", `app ${this.config.name}: cannot start a new child: ${e.message}; its routes answer 503`);
      void this.#fail();
    });
  }

  #exited(slot: Slot, child: Child, exit: ChildExit): void {
    if (this.#retiring.delete(child)) {
      // Replaced by a reload: its successor is already serving.
      child.signalGroup("SIGKILL");
      child.release();
      return;
    }
    if (slot.child === child) slot.child = null;
    // Workers the leader left behind (a php-cgi's, when the master died) would keep serving its socket.
    child.signalGroup("SIGKILL");
    child.release();
    if (this.#state === "stopped" || this.#state === "failed") return;
    const c = this.config;
    if (exit.code === 0) {
      // Recycling itself (php-cgi after PHP_FCGI_MAX_REQUESTS): not a crash.
      this.#log("info", `app ${c.name} pid ${child.pid} exited 0 (recycled): starting a new one`);
      this.#restart(slot);
      return;
    }
    const now = Date.now();
    this.#crashes = this.#crashes.filter((t) => now - t < CRASH_WINDOW_MS);
    this.#crashes.push(now);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    if (this.#crashes.length >= CRASH_LIMIT) {
      this.#log("error", `app ${c.name} pid ${child.pid} ${how}: ${this.#crashes.length} crashes within ${CRASH_WINDOW_MS / 1000} s, giving up; its routes answer 503`);
      void this.#fail();
      return;
    }
    const delay = Math.min(RESTART_BASE_MS * 2 ** (this.#crashes.length - 1), RESTART_MAX_MS);
    this.#log("warn", `app ${c.name} pid ${child.pid} ${how}: restarting in ${delay} ms`);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.#state === "running" || this.#state === "starting") this.#restart(slot);
    }, delay);
  }

  /**
   * SIGHUP. php-fpm: its pool file written again and SIGUSR2 to the master, php-fpm's own graceful reload
   * (running requests finish within process_control_timeout). Other apps: each process replaced in turn, the
   * new one started (and, for socket=self, accepting) before the old one gets its stop signal.
   */
  async reload(): Promise<void> {
    const c = this.config;
    if (this.#state !== "running") return;
    if (c.kind === "php-fpm") {
      this.#argv = this.#commandLine();
      for (const s of this.#slots) if (s.child) process.kill(s.child.pid, "SIGUSR2");
      this.#log("info", `app ${c.name}: reloading (SIGUSR2 to php-fpm)`);
      return;
    }
    if (c.socket === "self") {
      // One address, bound by one process: the new one cannot bind it while the old one holds it.
      this.#log("warn", `app ${c.name}: socket=self apps other than php-fpm are not reloaded; restart the gateway to replace it`);
      return;
    }
    for (const slot of this.#slots) await this.#replace(slot);
    this.#log("info", `app ${c.name}: reloaded (pid ${this.pids.join(" ")})`);
  }

  /** The slot's process replaced: the new one started on the socket first, then the old one told to stop. */
  async #replace(slot: Slot): Promise<void> {
    const c = this.config;
    const old = slot.child;
    if (old) this.#retiring.add(old);
    try {
      await this.#start(slot);
    } catch (e) {
      if (old) this.#retiring.delete(old);
      throw e;
    }
    this.restarts++;
    if (old) {
      old.signalGroup(c.stopSignal);
      void within(old.exited, c.stopTimeoutMs).then((done) => {
        if (!done) old.signalGroup("SIGKILL");
      });
    }
  }

  async #fail(): Promise<void> {
    this.#state = "failed";
    await this.#stopChildren();
    this.#closeSocket();
  }

  /** The held socket closed, or the published one's file removed: connections are refused (503). */
  #closeSocket(): void {
    this.#socket?.close();
    this.#socket = null;
    const l = this.config.listen;
    if (this.config.socket === "fd0" && l.kind === "unix") {
      try {
        unlinkSync(l.path);
      } catch {
        // not there
      }
    }
  }

  /** socket=self: connect until the app accepts, up to startTimeoutMs. */
  async #waitAccepting(): Promise<void> {
    const c = this.config;
    const deadline = Date.now() + c.startTimeoutMs;
    const endpoint = c.listen.kind === "unix" ? { kind: "unix" as const, path: c.listen.path } : { kind: "tcp" as const, host: c.listen.host, port: c.listen.port };
    for (;;) {
      try {
        const conn = await this.#connect(endpoint, { timeoutMs: 1_000 });
        conn.close();
        return;
      } catch {
        if (Date.now() > deadline) throw new AppStartError(c.name, `${this.#program} did not accept on ${where(c)} within ${c.startTimeoutMs / 1000} s (start-timeout)`);
        if (this.#state === "failed") throw new AppStartError(c.name, `${this.#program} kept crashing before it accepted on ${where(c)}`);
        await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
      }
    }
  }

  /** Stops every child (stop signal to its process group, SIGKILL after stop-timeout) and closes the socket. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    await this.#stopChildren();
    this.#closeSocket();
  }

  async #stopChildren(): Promise<void> {
    const c = this.config;
    for (const s of this.#slots) {
      if (s.timer) clearTimeout(s.timer);
      if (s.life) clearTimeout(s.life);
      s.timer = null;
      s.life = null;
    }
    const running = [...this.#slots.flatMap((s) => (s.child ? [s.child] : [])), ...this.#retiring];
    for (const child of running) child.signalGroup(c.stopSignal);
    const all = Promise.all(running.map((child) => child.exited));
    if (!(await within(all, c.stopTimeoutMs))) {
      for (const child of running) if (child.signalGroup("SIGKILL")) this.#log("warn", `app ${c.name} pid ${child.pid}: no exit ${c.stopTimeoutMs / 1000} s after ${c.stopSignal}: SIGKILL`);
      await within(all, KILL_WAIT_MS);
    }
    // The group's other members (a php-cgi's workers) may outlive their leader: make sure none is left.
    for (const child of running) {
      child.signalGroup("SIGKILL");
      child.release();
    }
  }
}

/** Whether the gateway runs as root (apps then may run as other users). */
function asRoot(): boolean {
  return globalThis.process?.getuid?.() === 0;
}

function where(c: AppConfig): string {
  return c.listen.kind === "unix" ? c.listen.path : `${c.listen.host}:${c.listen.port}`;
}

/** Whether `p` settled within `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(timer);
  return done;
}

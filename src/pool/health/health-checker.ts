// Runs each balancer member's active health check on its interval. Health drives selection through the
// member's C flag (mod_proxy_hcheck): `fails` consecutive failures set it; while a member is failed or in
// error, `passes` consecutive passes clear both C and E (PR 66302). Timers start with the first request and
// stop at close(); they never keep the process alive on their own.
import type { Member } from "../balancer/member.ts";
import type { Endpoint } from "../../transport/types.ts";
import type { PoolPlatform } from "../backend-pool.ts";
import type { HealthOptions } from "./health-options.ts";
import { probe } from "./probe.ts";

export interface CheckedMember {
  readonly member: Member<unknown>;
  readonly endpoint: Endpoint;
  readonly filenamePrefix: string;
  readonly health: HealthOptions;
  readonly timeoutMs: number;
}

interface State {
  readonly target: CheckedMember;
  passes: number;
  fails: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class HealthChecker {
  readonly #states: State[];
  readonly #platform: PoolPlatform;
  readonly #log: (member: string, message: string) => void;
  #running = false;

  constructor(members: readonly CheckedMember[], platform: PoolPlatform, log: (member: string, message: string) => void) {
    this.#states = members.filter((m) => m.health.method !== "NONE").map((target) => ({ target, passes: 0, fails: 0, timer: undefined }));
    this.#platform = platform;
    this.#log = log;
  }

  get checks(): number {
    return this.#states.length;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const s of this.#states) this.#schedule(s, 0);
  }

  stop(): void {
    this.#running = false;
    for (const s of this.#states) if (s.timer !== undefined) clearTimeout(s.timer);
  }

  #schedule(s: State, delay: number): void {
    if (!this.#running) return;
    s.timer = setTimeout(() => void this.#run(s), delay);
    this.#platform.unrefTimer(s.timer);
  }

  async #run(s: State): Promise<void> {
    const { member, endpoint, filenamePrefix, health, timeoutMs } = s.target;
    const failure = await probe(this.#platform.connector, endpoint, filenamePrefix, health, timeoutMs);
    if (!this.#running) return;
    if (failure === undefined) {
      s.fails = 0;
      if (member.has("C") || member.has("E")) {
        s.passes++;
        if (s.passes >= health.passes) {
          s.passes = 0;
          member.clearFlag("C");
          member.clearError();
          this.#log(member.name, `health check passed ${health.passes} time(s): back in service`);
        }
      }
    } else {
      s.passes = 0;
      s.fails++;
      if (s.fails >= health.fails && !member.has("C")) {
        member.setFlag("C");
        this.#log(member.name, `health check failed ${s.fails} time(s), out of service: ${failure}`);
      }
    }
    this.#schedule(s, health.intervalMs);
  }
}

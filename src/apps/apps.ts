// Every configured app, started before the gateway serves and stopped after it has finished its requests.
import type { Connector } from "../transport/types.ts";
import type { Processes } from "../platform/processes/types.ts";
import { AppRunner, type AppLog } from "./app-runner.ts";
import type { AppConfig } from "./types.ts";

/** The running apps. */
export class Apps {
  readonly runners: readonly AppRunner[];

  private constructor(runners: AppRunner[]) {
    this.runners = runners;
  }

  /** Starts each app in order; if one fails to start, the ones already started are stopped and it throws. */
  static async start(configs: readonly AppConfig[], processes: Processes, connect: Connector, log: AppLog, parentEnv: Readonly<Record<string, string | undefined>>): Promise<Apps> {
    const runners: AppRunner[] = [];
    try {
      for (const c of configs) {
        const r = new AppRunner(c, processes, connect, log, parentEnv);
        runners.push(r);
        await r.start();
      }
    } catch (e) {
      await Promise.all(runners.map((r) => r.stop()));
      throw e;
    }
    return new Apps(runners);
  }

  /** SIGHUP: each app reloaded (AppRunner.reload), one after another. */
  async reload(): Promise<void> {
    for (const r of this.runners) await r.reload();
  }

  /** Stops them all at once (each: its stop signal, SIGKILL after its stop-timeout). */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}

// The gateway as a user runs it (src/main.ts as a process) on the runtime running the tests, with its stderr
// collected and waited on line by line.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { runtime } from "./harness.ts";

const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** The executable and arguments that run src/main.ts with `args` here. */
export function gatewayCommand(args: string[]): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", main, ...args]];
  if (runtime === "bun") return [process.execPath, [main, ...args]];
  return [process.execPath, ["--import", "tsx", main, ...args]];
}

export interface GatewayProcess {
  out: string;
  err: string;
  code: number | null;
  readonly pid: number;
  kill(sig: NodeJS.Signals): void;
  readonly exited: Promise<number | null>;
  /** The first match of `re` in stderr, waiting up to `ms` for it. */
  lines(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** Starts the gateway with `args` (and `env` as its whole environment, when given). */
export function runGateway(args: string[], env?: Record<string, string>): GatewayProcess {
  const [cmd, argv] = gatewayCommand(args);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], ...(env ? { env } : {}) });
  const p: GatewayProcess = {
    out: "",
    err: "",
    code: null,
    pid: child.pid ?? -1,
    kill: (sig) => child.kill(sig),
    exited: new Promise((resolve) => child.on("exit", (code) => { p.code = code; resolve(code); })),
    lines: (re, ms = 15_000) => new Promise((resolve, reject) => {
      const check = () => {
        const m = p.err.match(re);
        if (m) {
          clearTimeout(timer);
          child.stderr.off("data", check);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        child.stderr.off("data", check);
        reject(new Error(`no line matching ${re} in:\n${p.err}`));
      }, ms);
      child.stderr.on("data", check);
      check();
    }),
  };
  child.stdout.on("data", (d) => { p.out += d; });
  child.stderr.on("data", (d) => { p.err += d; });
  return p;
}

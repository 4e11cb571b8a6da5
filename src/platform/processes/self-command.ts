// The command line that runs this same program again on this runtime (the demo app is the gateway's own code
// run as a child): the runtime's executable, what it needs to run the entry script, the script, `args`.
import process from "node:process";
import { RUNTIME } from "../runtime.ts";

/** [executable, ...its arguments, script, ...args] for a child running the current entry script. */
export function selfCommand(args: readonly string[]): string[] {
  const script = process.argv[1] ?? "";
  // Deno: `deno run -A script`; Node: its own flags again (tsx's loader when run from source); Bun: `bun script`.
  if (RUNTIME === "deno") return [process.execPath, "run", "-A", script, ...args];
  if (RUNTIME === "node") return [process.execPath, ...process.execArgv, script, ...args];
  return [process.execPath, script, ...args];
}

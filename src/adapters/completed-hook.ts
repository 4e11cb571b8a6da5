// Deno's client-gone signal. request.signal also aborts after every successful response (Deno's "legacy"
// behaviour, which Deno 2.9 now warns about on stderr); ServeHandlerInfo.completed settles when the response
// is over, sent or not. The gateway listens only while its exchange runs, so a settle it hears means the
// client left first.
import type { AbortHook } from "../connection-info.ts";

/** An AbortHook that fires when `completed` settles. */
export function completedHook(completed: Promise<void>): AbortHook {
  let fired = false;
  let listeners: Array<() => void> | undefined;
  const fire = () => {
    fired = true;
    const ls = listeners;
    listeners = undefined;
    if (ls) for (const l of ls) l();
  };
  completed.then(fire, fire);
  return {
    get aborted() {
      return fired;
    },
    addEventListener(_type, listener) {
      (listeners ??= []).push(listener);
    },
    removeEventListener(_type, listener) {
      const i = listeners?.indexOf(listener) ?? -1;
      if (i >= 0) listeners!.splice(i, 1);
    },
  };
}

// Text to the process's stderr by the cheapest call each runtime has: console.error formats its argument and,
// on Node, checks for colour on every call, which showed in the profile of a logged request.

type Writer = (text: string) => void;

interface DenoStderr { writeSync(p: Uint8Array): number }
interface NodeStderr { write(s: string): boolean }

function pick(): Writer {
  const g = globalThis as { Deno?: { stderr?: DenoStderr }; process?: { stderr?: NodeStderr } };
  const deno = g.Deno?.stderr;
  if (deno && typeof deno.writeSync === "function") {
    const encoder = new TextEncoder();
    return (text) => {
      const bytes = encoder.encode(text);
      for (let off = 0; off < bytes.length;) off += deno.writeSync(bytes.subarray(off));
    };
  }
  const node = g.process?.stderr;
  if (node && typeof node.write === "function") return (text) => void node.write(text);
  return (text) => console.error(text.endsWith("\n") ? text.slice(0, -1) : text);
}

/** Writes `text` as it is (the caller ends its lines with "\n"). */
export const writeStderr: Writer = pick();

import type { Output } from "./output.ts";

/** An Output that records what a command printed, for tests. */
export function captureOutput(): Output & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: false,
    stdout: () => out,
    stderr: () => err,
  };
}

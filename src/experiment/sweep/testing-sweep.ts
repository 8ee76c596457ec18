/** The 24-point sweep the CLI and queue tests run, and how their results are compared. */
import { readResults } from "./results.ts";

/** 4 weight variances x 3 depths x 2 seeds of a small tanh network on spirals. */
export function testSweepArgs(steps = 40): string[] {
  return [
    ...["--vary", "weightVar=1:2.5:0.5", "--vary", "depth=2,4,6", "--seeds", "2"],
    ...["--activation", "tanh", "--init", "normal", "--width", "16", "--dataset", "spirals"],
    ...["--samples", "200", "--steps", String(steps), "--record-every", "20", "--quiet"],
  ];
}

/** Records of a sweep directory without what may differ between runs (timing, where). */
export function comparableResults(dir: string): string[] {
  return [...readResults(dir).records.values()]
    .map((r) => {
      const { elapsedMs: _e, ranOn: _r, ...rest } = r;
      return JSON.stringify(rest);
    })
    .sort();
}

/** Lines of results.jsonl and their distinct hashes (a point recorded twice shows here). */
export function resultLines(text: string): { lines: number; hashes: number } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return {
    lines: lines.length,
    hashes: new Set(lines.map((l) => (JSON.parse(l) as { hash: string }).hash)).size,
  };
}

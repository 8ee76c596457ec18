import type { SequenceRunConfig } from "./types.ts";

/**
 * The default run directory of a sequence run: runs/<yyyymmdd-hhmmss>-<arch>-<hash>, the hash
 * FNV-1a over the config's JSON without `out` (the MLP's defaultRunDir, typed for its own
 * config, uses the same scheme), so the same config always gives the same name part.
 */
export function defaultSequenceRunDir(config: SequenceRunConfig, now: Date = new Date()): string {
  const { out: _out, ...rest } = config;
  const text = JSON.stringify(rest);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const p = (n: number): string => String(n).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}` +
    `-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `runs/${stamp}-${config.arch}-${(h >>> 0).toString(16).padStart(8, "0")}`;
}

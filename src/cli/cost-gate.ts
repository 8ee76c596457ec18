import {
  ANNOUNCE_SECONDS,
  type CostEstimate,
  describeCost,
  formatDuration,
  REFUSE_SECONDS,
} from "../experiment/cost.ts";
import { UsageError } from "./errors.ts";
import type { Output } from "./output.ts";

/**
 * Say what a long computation will cost before starting it: over REFUSE_SECONDS it is refused
 * (with the estimate and what to reduce) unless `force`; over ANNOUNCE_SECONDS the estimate is
 * printed and the returned reporter shows progress. Returns null for quick work.
 */
export function gateCost(
  what: string,
  cost: CostEstimate,
  options: { force: boolean; reduce: string; unit: string },
  output: Output,
): ((done: number, total: number) => void) | null {
  const time = formatDuration(cost.seconds);
  if (cost.seconds > REFUSE_SECONDS && !options.force) {
    throw new UsageError(
      `${what} would take about ${time} (${describeCost(cost)}): ${options.reduce}, or add --force to run it anyway`,
    );
  }
  if (cost.seconds <= ANNOUNCE_SECONDS) return null;
  output.err(`gradscope: ${what} will take about ${time} (${describeCost(cost)})\n`);
  let lastTenth = -1;
  return (done, total) => {
    if (output.isTTY) {
      output.err(`\r${options.unit} ${done}/${total}${done === total ? "\n" : ""}`);
      return;
    }
    // logs and pipes: one line per tenth of the work, not one per step
    const tenth = Math.floor((10 * done) / total);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      output.err(`${options.unit} ${done}/${total}\n`);
    }
  };
}

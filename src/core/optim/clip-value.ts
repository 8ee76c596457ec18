import type { Param } from "../layers/layer.ts";

/**
 * Clamps every gradient entry to [-maxValue, maxValue] in place (torch.nn.utils.clip_grad_value_)
 * and returns how many entries were changed. Infinite entries are clamped (and counted); NaN
 * entries stay NaN and are not counted.
 */
export function clipValue(params: readonly Param[], maxValue: number): number {
  if (!(maxValue > 0)) throw new RangeError(`maxValue must be > 0, got ${maxValue}`);
  let count = 0;
  for (let i = 0; i < params.length; i++) {
    const g = params[i]!.grad;
    const d = g.data;
    for (let j = 0, n = g.size; j < n; j++) {
      const v = d[j]!;
      if (v > maxValue) {
        d[j] = maxValue;
        count++;
      } else if (v < -maxValue) {
        d[j] = -maxValue;
        count++;
      }
    }
  }
  return count;
}

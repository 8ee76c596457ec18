import { Rng } from "../../core/rng.ts";

/**
 * The two random streams of a dataset, forked from `new Rng(seed)` in this order: `data`
 * (sampling and noise) and `split` (the train/test shuffle). Separate streams keep the points
 * unchanged when only the split changes, and the reverse.
 */
export function datasetStreams(seed: number): { data: Rng; split: Rng } {
  const root = new Rng(seed);
  const data = root.fork();
  const split = root.fork();
  return { data, split };
}

import v8 from "node:v8";
import { Rng } from "../../core/rng.ts";
import { assembleDataset } from "../datasets/assemble.ts";
import { Trainer } from "./trainer.ts";

/**
 * Bytes a training step that records nothing allocates, in the kernels registered now: the
 * growth of V8's young generation per step over blocks of steps (a block during which a
 * scavenge ran shows a drop and is skipped; the smallest growth is returned), after enough
 * steps for the step's code to be optimized. For the allocation tests (Node only: node:v8).
 * Run it in a fresh module graph per kernel set: code optimized for one set and then run on
 * another keeps both paths and boxes more numbers than either alone.
 */
export function stepAllocationBytes(blocks = 6, stepsPerBlock = 400): number {
  const rng = new Rng(3);
  const n = 512;
  const x = new Float64Array(n * 32);
  rng.fillNormal(x);
  const labels = new Int32Array(n).map(() => rng.int(10));
  const dataset = assembleDataset(
    { task: "classification", count: n, inputDim: 32, x, labels, classes: 10 },
    { name: "a", description: "", dtype: "f32", testFraction: 0.1, rng: rng.fork() },
  );
  const trainer = new Trainer(
    {
      depth: 6,
      width: 48,
      batch: 32,
      activation: "tanh",
      dtype: "f32",
      lr: 0.01,
      steps: 1_000_000,
      recordEvery: 1_000_000,
      evalEvery: 0,
    },
    dataset,
  );
  for (let i = 0; i < 3000; i++) trainer.step();
  let best = Number.POSITIVE_INFINITY;
  for (let b = 0; b < blocks; b++) {
    const before = youngBytes();
    for (let i = 0; i < stepsPerBlock; i++) trainer.step();
    const growth = youngBytes() - before;
    if (growth >= 0) best = Math.min(best, growth / stepsPerBlock);
  }
  return best;
}

function youngBytes(): number {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  return space?.space_used_size ?? 0;
}

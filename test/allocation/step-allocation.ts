/**
 * Prints the bytes a training step that records nothing allocates, as JSON:
 * `node --import tsx test/allocation/step-allocation.ts [--native]`. Measured as the growth of
 * V8's young generation per step over blocks of steps (a block during which a scavenge ran
 * shows a drop and is skipped; the smallest growth is reported), after enough steps for the
 * step's code to be optimized. Run in a process of its own (test/allocation.test.ts): inside a
 * test runner, code optimized by earlier tests boxes a few more numbers than a fresh process.
 */
import v8 from "node:v8";
import { setKernelProviderEnabled } from "../../src/core/kernels/provider.ts";
import { Rng } from "../../src/core/rng.ts";
import { assembleDataset } from "../../src/experiment/datasets/assemble.ts";
import { Trainer } from "../../src/experiment/train/trainer.ts";
import { loadNativeKernels } from "../../src/native/native-kernels.ts";

function youngBytes(): number {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  return space?.space_used_size ?? 0;
}

const native = process.argv.includes("--native");
const status = native ? loadNativeKernels() : null;
setKernelProviderEnabled(native);

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
for (let b = 0; b < 8; b++) {
  const before = youngBytes();
  for (let i = 0; i < 400; i++) trainer.step();
  const growth = youngBytes() - before;
  if (growth >= 0) best = Math.min(best, growth / 400);
}
console.log(
  JSON.stringify({
    native: status?.loaded ?? false,
    reason: status?.loaded === false ? status.reason : null,
    bytesPerStep: best,
  }),
);

/**
 * Cost of recording metrics while training W (issues #3 and #8: "recording every per-layer
 * metric of the probe table every step costs at most 10%"). Two Trainers with the same config,
 * data and seed, one recording every step (recordEvery 1) and one recording none (only step 1,
 * which the contract always records, and which is excluded), are stepped in alternating blocks
 * so machine noise hits both alike; each step is the real Trainer.step() of
 * src/experiment/train, and the recorded one also serializes its record as a metrics.jsonl
 * line would be (JSON.stringify), without touching the disk.
 */

import { Rng } from "../src/core/rng.ts";
import { assembleDataset } from "../src/experiment/datasets/assemble.ts";
import type { Dataset } from "../src/experiment/datasets/dataset.ts";
import { Trainer } from "../src/experiment/train/trainer.ts";
import { LR, type MlpSpec, median } from "./workloads.ts";

export interface RecordOverhead {
  /** Wall ms per step, median over blocks. */
  recordAllMs: number;
  recordNoneMs: number;
  /** recordAll / recordNone - 1 in wall time: the median of the per-block ratios. */
  overhead: number;
  /** The same in CPU time of the process (all its threads). */
  recordAllCpuMs: number;
  recordNoneCpuMs: number;
  cpuOverhead: number;
  blocks: number;
  stepsPerBlock: number;
}

/** The bench's lines about it. */
export function formatRecordOverhead(r: RecordOverhead): string {
  const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}%`;
  return [
    `wall: record all ${r.recordAllMs.toFixed(2)} ms/step, none ${r.recordNoneMs.toFixed(2)} ms/step`,
    `CPU:  record all ${r.recordAllCpuMs.toFixed(2)} ms/step, none ${r.recordNoneCpuMs.toFixed(2)} ms/step (${pct(r.cpuOverhead)})`,
    `metric recording overhead: ${pct(r.overhead)} (wall; target <= 10%)`,
  ].join("\n");
}

/** A classification set shaped like W's batch: standard normal inputs, uniform labels. */
function benchDataset(spec: MlpSpec, examples: number): Dataset {
  const rng = new Rng(7);
  const x = new Float64Array(examples * spec.inputDim);
  rng.fillNormal(x);
  const labels = new Int32Array(examples);
  for (let i = 0; i < examples; i++) labels[i] = rng.int(spec.outputs);
  return assembleDataset(
    {
      task: "classification",
      count: examples,
      inputDim: spec.inputDim,
      x,
      labels,
      classes: spec.outputs,
    },
    {
      name: "bench",
      description: "random normal inputs, random labels",
      dtype: spec.dtype,
      testFraction: 0.1,
      rng: rng.fork(),
    },
  );
}

export function measureRecordOverhead(
  spec: MlpSpec,
  blocks: number,
  stepsPerBlock: number,
): RecordOverhead {
  const dataset = benchDataset(spec, spec.batch * 8);
  const steps = 2 + (blocks + 1) * stepsPerBlock + 10;
  const make = (recordEvery: number): Trainer =>
    new Trainer(
      {
        depth: spec.depth,
        width: spec.width,
        batch: spec.batch,
        activation: "tanh",
        init: "xavier-uniform",
        dtype: spec.dtype,
        optimizer: "sgd",
        lr: LR,
        steps,
        recordEvery,
        evalEvery: 0,
      },
      dataset,
    );
  const all = make(1);
  const none = make(1_000_000_000);
  let sink = 0;
  // Wall time is what a user waits for; CPU time (all threads of the process) is given too
  // because the bench machine is shared and other processes inflate wall time by 2x and more.
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const run = (t: Trainer, n: number): [number, number] => {
    const w0 = performance.now();
    const c0 = cpuMs();
    for (let i = 0; i < n; i++) {
      const r = t.step();
      if (r !== null) sink += JSON.stringify(r).length;
    }
    return [(performance.now() - w0) / n, (cpuMs() - c0) / n];
  };
  // Warm-up block (also takes step 1, recorded by both).
  run(all, stepsPerBlock);
  run(none, stepsPerBlock);
  const wall = { a: [] as number[], b: [] as number[], ratio: [] as number[] };
  const cpu = { a: [] as number[], b: [] as number[], ratio: [] as number[] };
  for (let k = 0; k < blocks; k++) {
    // Alternate the order, so neither always runs in the other's wake.
    let ra: [number, number] = [0, 0];
    if (k % 2 === 0) ra = run(all, stepsPerBlock);
    const rb = run(none, stepsPerBlock);
    if (k % 2 === 1) ra = run(all, stepsPerBlock);
    for (const [acc, i] of [
      [wall, 0],
      [cpu, 1],
    ] as const) {
      acc.a.push(ra[i]);
      acc.b.push(rb[i]);
      acc.ratio.push(ra[i] / rb[i]);
    }
  }
  if (
    all.network.params()[0]!.value.data[0] !== none.network.params()[0]!.value.data[0] ||
    sink < 0
  ) {
    throw new Error("record-overhead: the two runs diverged (recording changed training)");
  }
  return {
    recordAllMs: median(wall.a),
    recordNoneMs: median(wall.b),
    overhead: median(wall.ratio) - 1,
    recordAllCpuMs: median(cpu.a),
    recordNoneCpuMs: median(cpu.b),
    cpuOverhead: median(cpu.ratio) - 1,
    blocks,
    stepsPerBlock,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { W } = await import("./workloads.ts");
  if (process.env.GRADSCOPE_NATIVE !== "0") {
    const { loadNativeKernels } = await import("../src/native/native-kernels.ts");
    const native = loadNativeKernels();
    console.log(
      native.loaded ? `kernels: ${native.name}` : `kernels: no native (${native.reason})`,
    );
  }
  const r = measureRecordOverhead(W, Number(process.argv[2] ?? 7), Number(process.argv[3] ?? 5));
  console.log(formatRecordOverhead(r));
}

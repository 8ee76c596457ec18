/**
 * Benchmark workloads built from src/core: a tanh MLP trained with softmax cross-entropy and
 * plain SGD, one step = forward + loss + backward + L2 norm of every weight gradient + update.
 * Also exports the initial weights and the batch so a peer (PyTorch, TF.js) can run the very
 * same step and check that it agrees before it is timed.
 */
import { writeFileSync } from "node:fs";
import type { DType } from "../src/core/dtype.ts";
import type { Loss } from "../src/core/loss.ts";
import { createLoss } from "../src/core/loss.ts";
import { Mat } from "../src/core/mat.ts";
import { Network } from "../src/core/network.ts";
import { createOptimizer } from "../src/core/optim/create-optimizer.ts";
import type { Optimizer } from "../src/core/optim/optimizer.ts";
import { Rng } from "../src/core/rng.ts";
import { l2Norm } from "../src/probe/stats.ts";

export interface MlpSpec {
  name: string;
  inputDim: number;
  depth: number;
  width: number;
  outputs: number;
  batch: number;
  dtype: DType;
}

export const LR = 0.01;

export const W: MlpSpec = {
  name: "W: 256-20x256 tanh-10, batch 128, f32",
  inputDim: 256,
  depth: 20,
  width: 256,
  outputs: 10,
  batch: 128,
  dtype: "f32",
};

export const W2: MlpSpec = {
  name: "W2: 256-10x1024 tanh-10, batch 256, f32",
  inputDim: 256,
  depth: 10,
  width: 1024,
  outputs: 10,
  batch: 256,
  dtype: "f32",
};

export interface StepTimes {
  forward: number;
  loss: number;
  backward: number;
  norms: number;
  update: number;
}

export interface Workload {
  spec: MlpSpec;
  network: Network;
  lossFn: Loss;
  optimizer: Optimizer;
  x: Mat;
  target: Mat;
  labels: Int32Array;
  /** One training step; returns the loss and the weight-gradient norms (before the update). */
  step(): { loss: number; norms: number[] };
  /** The same step with the time (ms) of each phase added to `acc`. */
  stepTimed(acc: StepTimes): void;
}

export function buildWorkload(spec: MlpSpec, seed = 1): Workload {
  const network = new Network({
    inputDim: spec.inputDim,
    depth: spec.depth,
    width: spec.width,
    activation: "tanh",
    outputs: spec.outputs,
    dtype: spec.dtype,
  });
  const rng = new Rng(seed);
  network.initialize("xavier-uniform", { biasVar: 0.01 }, rng);
  const x = Mat.zeros(spec.batch, spec.inputDim, spec.dtype);
  rng.fillNormal(x.data);
  const target = Mat.zeros(spec.batch, spec.outputs, spec.dtype);
  const labels = new Int32Array(spec.batch);
  for (let i = 0; i < spec.batch; i++) {
    const c = Math.floor(rng.uniform() * spec.outputs) % spec.outputs;
    labels[i] = c;
    target.data[i * spec.outputs + c] = 1;
  }
  const lossFn = createLoss("cross-entropy", spec.dtype);
  const optimizer = createOptimizer("sgd");
  const params = network.params();
  const weightGrads = params.filter((p) => p.name.endsWith(".W")).map((p) => p.grad);
  const step = (): { loss: number; norms: number[] } => {
    const y = network.forward(x, "train");
    const loss = lossFn.forward(y, target);
    network.backward(lossFn.backward());
    const norms = weightGrads.map((g) => l2Norm(g.data, g.size));
    optimizer.step(params, LR);
    return { loss, norms };
  };
  const stepTimed = (acc: StepTimes): void => {
    let t = performance.now();
    const y = network.forward(x, "train");
    let u = performance.now();
    acc.forward += u - t;
    t = u;
    lossFn.forward(y, target);
    const dy = lossFn.backward();
    u = performance.now();
    acc.loss += u - t;
    t = u;
    network.backward(dy);
    u = performance.now();
    acc.backward += u - t;
    t = u;
    for (const g of weightGrads) l2Norm(g.data, g.size);
    u = performance.now();
    acc.norms += u - t;
    t = u;
    optimizer.step(params, LR);
    acc.update += performance.now() - t;
  };
  return { spec, network, lossFn, optimizer, x, target, labels, step, stepTimed };
}

/**
 * Write the workload's current weights, batch and labels for a peer: `<path>.json` (shapes)
 * and `<path>.bin` (float32, in the order of the JSON's `tensors`).
 */
export function exportWorkload(w: Workload, path: string): void {
  const tensors: { name: string; shape: number[] }[] = [];
  const chunks: Float32Array[] = [];
  const add = (name: string, m: Mat): void => {
    tensors.push({ name, shape: [m.rows, m.cols] });
    chunks.push(Float32Array.from(m.data.subarray(0, m.size)));
  };
  add("x", w.x);
  w.network.blocks.forEach((b, l) => {
    add(`layer${l + 1}.W`, b.dense.W);
    add(`layer${l + 1}.b`, b.dense.b);
  });
  const r = w.network.readout!;
  add("readout.W", r.W);
  add("readout.b", r.b);
  const total = chunks.reduce((s, c) => s + c.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  writeFileSync(`${path}.bin`, Buffer.from(all.buffer));
  writeFileSync(
    `${path}.json`,
    JSON.stringify({ ...w.spec, lr: LR, labels: Array.from(w.labels), tensors }),
  );
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Steps per second of `step`: `repeats` blocks of `stepsPerBlock` steps after `warmup` steps;
 * one rate per block.
 */
export function timeSteps(
  step: () => unknown,
  repeats: number,
  stepsPerBlock: number,
  warmup: number,
): number[] {
  for (let i = 0; i < warmup; i++) step();
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < stepsPerBlock; i++) step();
    rates.push((stepsPerBlock * 1000) / (performance.now() - t0));
  }
  return rates;
}

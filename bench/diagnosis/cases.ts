/**
 * The labelled diagnosis benchmark (issue 13, part 4): configurations as data.
 *
 * - Initialization cases are probed once at initialization (runProbe + diagnoseProbe) and
 *   labelled by mean-field theory (labels.ts): the q map and chi from the actual input
 *   variance, with closed forms for layer norm, residual blocks and batch norm with
 *   identity/ReLU, and an infinite-width Monte Carlo of the batch-norm recursion elsewhere.
 * - Training cases are trained for `budget` steps (train + diagnoseTraining) and labelled by
 *   the outcome of a run `LABEL_STEPS_FACTOR` times longer (label-training.ts, stored in
 *   training-labels.json). Cases with a `fix` are the ones where a fix is known to exist:
 *   `doctor` is asked to find one (run.ts --doctor).
 *
 * Which cases: a spread chosen up front, not after looking at the verdicts. The bulk keeps
 * depth / width <= ~1 (where infinite-width theory describes a single network); the group
 * "finite-width" deliberately leaves that domain (deep and narrow) and is expected to
 * disagree with its mean-field label: it documents the limit of the labelling rule.
 */
import type { ActivationName } from "../../src/core/activations.ts";
import type { DType } from "../../src/core/dtype.ts";
import type { InitName } from "../../src/core/init.ts";
import type { TrainConfig } from "../../src/experiment/config.ts";

/** The network of an initialization case (the probe's options; omitted ones take defaults). */
export interface InitNet {
  depth: number;
  width: number;
  activation: ActivationName;
  init: InitName;
  weightVar?: number;
  biasVar?: number;
  gain?: number;
  slope?: number;
  batchNorm?: boolean;
  layerNorm?: boolean;
  residual?: boolean;
  branchScale?: number;
  dtype?: DType;
  batch?: number;
  seed?: number;
}

export interface InitCase {
  kind: "init";
  id: string;
  /** What the case is about (the group it belongs to). */
  group: string;
  net: InitNet;
}

/** A fix known to exist: the changes, and why it is expected to work. */
export interface KnownFix {
  changes: Partial<TrainConfig>;
  why: string;
}

export interface TrainCase {
  kind: "train";
  id: string;
  group: string;
  /** The training config without `steps` (the bench sets budget, the labeller a longer run). */
  config: Partial<TrainConfig>;
  /** Steps the bench trains before diagnosing. */
  budget: number;
  /** A fix known to exist (checked by label-training.ts with a long run of the fix). */
  fix?: KnownFix;
}

export type BenchCase = InitCase | TrainCase;

/** The long labelling run of a training case is this many times the bench budget. */
export const LABEL_STEPS_FACTOR = 5;

// ---------------------------------------------------------------------------------------
// Initialization cases
// ---------------------------------------------------------------------------------------

type NetSpec = Omit<InitNet, "depth" | "width">;

const slug = (n: NetSpec): string => {
  const parts: string[] = [n.activation, n.init];
  if (n.weightVar !== undefined) parts.push(`w${n.weightVar}`);
  if (n.biasVar) parts.push(`b${n.biasVar}`);
  if (n.gain !== undefined) parts.push(`g${n.gain}`);
  if (n.batchNorm) parts.push("bn");
  if (n.layerNorm) parts.push("ln");
  if (n.residual) parts.push(`res${n.branchScale ?? 1}`);
  if (n.dtype === "f32") parts.push("f32");
  if (n.batch !== undefined) parts.push(`B${n.batch}`);
  return parts.join("-");
};

function initCase(group: string, depth: number, width: number, spec: NetSpec): InitCase {
  return {
    kind: "init",
    id: `init/${group}/${slug(spec)}-d${depth}-n${width}`,
    group,
    net: { depth, width, ...spec },
  };
}

/** Activation x initialization: every activation under the inits people use with it. */
const ACT_INIT: NetSpec[] = [
  { activation: "identity", init: "normal", weightVar: 0.5 },
  { activation: "identity", init: "normal", weightVar: 1 },
  { activation: "identity", init: "normal", weightVar: 2 },
  { activation: "identity", init: "orthogonal", weightVar: 1 },
  { activation: "identity", init: "xavier-normal" },
  { activation: "identity", init: "standard-uniform" },
  { activation: "sigmoid", init: "standard-uniform" },
  { activation: "sigmoid", init: "xavier-uniform" },
  { activation: "sigmoid", init: "he-normal" },
  { activation: "sigmoid", init: "lecun-normal" },
  { activation: "sigmoid", init: "normal", weightVar: 16 },
  { activation: "tanh", init: "standard-uniform" },
  { activation: "tanh", init: "xavier-normal" },
  { activation: "tanh", init: "lecun-uniform" },
  { activation: "tanh", init: "orthogonal", weightVar: 1 },
  { activation: "tanh", init: "normal", weightVar: 1.5, biasVar: 0.05 },
  { activation: "tanh", init: "normal", weightVar: 2.25 },
  { activation: "tanh", init: "normal", weightVar: 4 },
  { activation: "relu", init: "standard-uniform" },
  { activation: "relu", init: "he-normal" },
  { activation: "relu", init: "he-uniform" },
  { activation: "relu", init: "xavier-normal" },
  { activation: "relu", init: "orthogonal", weightVar: 2 },
  { activation: "relu", init: "normal", weightVar: 3 },
  { activation: "relu", init: "zeros" },
  { activation: "leaky-relu", init: "he-normal" },
  { activation: "leaky-relu", init: "xavier-uniform" },
  { activation: "leaky-relu", init: "normal", weightVar: 2.5, slope: 0.1 },
  { activation: "elu", init: "he-normal" },
  { activation: "elu", init: "lecun-normal" },
  { activation: "elu", init: "standard-uniform" },
  { activation: "elu", init: "normal", weightVar: 3 },
  { activation: "selu", init: "lecun-normal" },
  { activation: "selu", init: "standard-uniform" },
  { activation: "selu", init: "he-normal" },
  { activation: "gelu", init: "he-normal" },
  { activation: "gelu", init: "xavier-normal" },
  { activation: "gelu", init: "normal", weightVar: 4 },
  { activation: "softplus", init: "he-normal" },
  { activation: "softplus", init: "xavier-normal" },
  { activation: "softplus", init: "standard-uniform" },
  { activation: "swish", init: "he-normal" },
  { activation: "swish", init: "xavier-normal" },
  { activation: "swish", init: "normal", weightVar: 4 },
];

const DEPTH_SPECS: NetSpec[] = [
  { activation: "relu", init: "he-normal" },
  { activation: "tanh", init: "xavier-normal" },
  { activation: "sigmoid", init: "standard-uniform" },
  { activation: "tanh", init: "normal", weightVar: 1.76, biasVar: 0.05 },
];

function initCases(): InitCase[] {
  const out: InitCase[] = [];
  // activation x init at two depths, width 128
  for (const spec of ACT_INIT) out.push(initCase("act-init", 20, 128, spec));
  for (const spec of ACT_INIT) out.push(initCase("act-init", 50, 128, spec));
  // depth from 2 to 200 (width grows with depth to stay in the mean-field domain)
  for (const spec of DEPTH_SPECS) {
    for (const [depth, width] of [
      [2, 64],
      [3, 64],
      [5, 64],
      [10, 64],
      [100, 128],
      [200, 256],
    ] as const) {
      out.push(initCase("depth", depth, width, spec));
    }
  }
  // width from 16 to 512
  for (const spec of DEPTH_SPECS.slice(0, 3)) {
    for (const [depth, width] of [
      [10, 16],
      [20, 32],
      [20, 512],
    ] as const) {
      out.push(initCase("width", depth, width, spec));
    }
  }
  // biases
  for (const spec of [
    { activation: "tanh", init: "normal", weightVar: 1, biasVar: 0.05 },
    { activation: "tanh", init: "normal", weightVar: 1, biasVar: 0.5 },
    { activation: "relu", init: "he-normal", biasVar: 0.1 },
    { activation: "sigmoid", init: "xavier-normal", biasVar: 1 },
    { activation: "relu", init: "zeros", biasVar: 0.1 },
    { activation: "elu", init: "he-normal", biasVar: 0.2 },
  ] satisfies NetSpec[]) {
    out.push(initCase("bias", 30, 128, spec));
  }
  // float32 and the float limits
  out.push(
    initCase("dtype", 50, 128, { activation: "sigmoid", init: "standard-uniform", dtype: "f32" }),
  );
  out.push(initCase("dtype", 50, 128, { activation: "relu", init: "he-normal", dtype: "f32" }));
  out.push(initCase("dtype", 50, 128, { activation: "tanh", init: "xavier-normal", dtype: "f32" }));
  out.push(
    initCase("dtype", 30, 64, {
      activation: "identity",
      init: "normal",
      weightVar: 16,
      dtype: "f32",
    }),
  );
  out.push(
    initCase("dtype", 40, 64, {
      activation: "identity",
      init: "normal",
      weightVar: 100,
      dtype: "f32",
    }),
  );
  out.push(initCase("dtype", 60, 16, { activation: "identity", init: "normal", weightVar: 1e6 }));
  out.push(initCase("dtype", 110, 16, { activation: "identity", init: "normal", weightVar: 1e6 }));
  out.push(
    initCase("dtype", 100, 128, { activation: "sigmoid", init: "standard-uniform", dtype: "f32" }),
  );
  // batch norm: closed forms (identity, relu) and the Monte Carlo (the others, residual)
  for (const depth of [5, 10, 20, 50]) {
    out.push(
      initCase("batch-norm", depth, 128, {
        activation: "relu",
        init: "he-normal",
        batchNorm: true,
      }),
    );
  }
  out.push(
    initCase("batch-norm", 10, 128, {
      activation: "relu",
      init: "he-normal",
      batchNorm: true,
      batch: 16,
    }),
  );
  out.push(
    initCase("batch-norm", 20, 128, {
      activation: "relu",
      init: "he-normal",
      batchNorm: true,
      batch: 16,
    }),
  );
  out.push(
    initCase("batch-norm", 50, 128, {
      activation: "identity",
      init: "xavier-normal",
      batchNorm: true,
    }),
  );
  out.push(
    initCase("batch-norm", 200, 128, {
      activation: "identity",
      init: "xavier-normal",
      batchNorm: true,
    }),
  );
  out.push(
    initCase("batch-norm", 20, 128, {
      activation: "tanh",
      init: "xavier-normal",
      batchNorm: true,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 50, 128, {
      activation: "tanh",
      init: "xavier-normal",
      batchNorm: true,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 20, 128, {
      activation: "sigmoid",
      init: "standard-uniform",
      batchNorm: true,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 50, 128, {
      activation: "sigmoid",
      init: "standard-uniform",
      batchNorm: true,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 20, 128, {
      activation: "gelu",
      init: "he-normal",
      batchNorm: true,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 20, 128, {
      activation: "elu",
      init: "he-normal",
      batchNorm: true,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 20, 128, {
      activation: "relu",
      init: "he-normal",
      batchNorm: true,
      residual: true,
      branchScale: 1,
      batch: 32,
    }),
  );
  out.push(
    initCase("batch-norm", 50, 128, {
      activation: "relu",
      init: "he-normal",
      batchNorm: true,
      residual: true,
      branchScale: 0.2,
      batch: 32,
    }),
  );
  // layer norm (closed form at infinite width)
  for (const depth of [20, 50]) {
    out.push(
      initCase("layer-norm", depth, 128, {
        activation: "relu",
        init: "he-normal",
        layerNorm: true,
      }),
    );
    out.push(
      initCase("layer-norm", depth, 128, {
        activation: "tanh",
        init: "xavier-normal",
        layerNorm: true,
      }),
    );
  }
  out.push(
    initCase("layer-norm", 20, 128, {
      activation: "sigmoid",
      init: "standard-uniform",
      layerNorm: true,
    }),
  );
  out.push(
    initCase("layer-norm", 20, 128, { activation: "gelu", init: "he-normal", layerNorm: true }),
  );
  out.push(
    initCase("layer-norm", 20, 128, { activation: "selu", init: "lecun-normal", layerNorm: true }),
  );
  out.push(
    initCase("layer-norm", 50, 128, {
      activation: "relu",
      init: "he-normal",
      layerNorm: true,
      residual: true,
      branchScale: 1,
    }),
  );
  // residual blocks and their branch scales
  for (const [depth, s] of [
    [5, 1],
    [10, 1],
    [20, 1],
    [50, 1 / Math.sqrt(50)],
    [50, 1 / 50],
  ] as const) {
    out.push(
      initCase("residual", depth, 128, {
        activation: "relu",
        init: "he-normal",
        residual: true,
        branchScale: s,
      }),
    );
  }
  out.push(
    initCase("residual", 20, 128, {
      activation: "tanh",
      init: "xavier-normal",
      residual: true,
      branchScale: 1,
    }),
  );
  out.push(
    initCase("residual", 50, 128, {
      activation: "tanh",
      init: "xavier-normal",
      residual: true,
      branchScale: 1,
    }),
  );
  out.push(
    initCase("residual", 20, 128, {
      activation: "sigmoid",
      init: "standard-uniform",
      residual: true,
      branchScale: 1,
    }),
  );
  out.push(
    initCase("residual", 50, 128, {
      activation: "sigmoid",
      init: "standard-uniform",
      residual: true,
      branchScale: 0.1,
    }),
  );
  out.push(
    initCase("residual", 20, 128, {
      activation: "identity",
      init: "normal",
      weightVar: 1,
      residual: true,
      branchScale: 1,
    }),
  );
  out.push(
    initCase("residual", 50, 128, {
      activation: "identity",
      init: "normal",
      weightVar: 1,
      residual: true,
      branchScale: 0.1,
    }),
  );
  // out of the mean-field domain: deep and narrow (finite-width corrections, Hanin 2018)
  out.push(initCase("finite-width", 200, 64, { activation: "relu", init: "he-normal" }));
  out.push(initCase("finite-width", 100, 32, { activation: "relu", init: "he-normal" }));
  out.push(
    initCase("finite-width", 100, 16, { activation: "tanh", init: "orthogonal", weightVar: 1 }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------
// Training cases
// ---------------------------------------------------------------------------------------

const B = 300;

function trainCase(
  group: string,
  name: string,
  config: Partial<TrainConfig>,
  fix?: KnownFix,
  budget = B,
): TrainCase {
  return {
    kind: "train",
    id: `train/${group}/${name}`,
    group,
    config,
    budget,
    ...(fix ? { fix } : {}),
  };
}

function trainCases(): TrainCase[] {
  return [
    // healthy nets, every dataset and optimizer
    trainCase("healthy", "moons-relu-he-d4-sgd", {
      dataset: "moons",
      depth: 4,
      width: 32,
      activation: "relu",
      init: "he-normal",
      optimizer: "sgd",
      lr: 0.1,
    }),
    trainCase("healthy", "circles-tanh-xavier-d3-sgd", {
      dataset: "circles",
      depth: 3,
      width: 32,
      activation: "tanh",
      init: "xavier-normal",
      optimizer: "sgd",
      lr: 0.1,
    }),
    trainCase("healthy", "xor-relu-he-d3-adam", {
      dataset: "xor",
      depth: 3,
      width: 16,
      activation: "relu",
      init: "he-normal",
      optimizer: "adam",
      lr: 0.01,
    }),
    trainCase("healthy", "xor-relu-he-d2-sgd", {
      dataset: "xor",
      depth: 2,
      width: 16,
      activation: "relu",
      init: "he-normal",
      optimizer: "sgd",
      lr: 0.1,
    }),
    trainCase("healthy", "blobs-elu-he-d5-momentum", {
      dataset: "blobs",
      depth: 5,
      width: 32,
      activation: "elu",
      init: "he-normal",
      optimizer: "momentum",
      lr: 0.01,
    }),
    trainCase("healthy", "spirals-relu-he-d6-adam", {
      dataset: "spirals",
      depth: 6,
      width: 64,
      activation: "relu",
      init: "he-normal",
      optimizer: "adam",
      lr: 0.003,
    }),
    trainCase("healthy", "spirals-tanh-xavier-d4-sgd", {
      dataset: "spirals",
      depth: 4,
      width: 64,
      activation: "tanh",
      init: "xavier-normal",
      optimizer: "sgd",
      lr: 0.1,
    }),
    trainCase("healthy", "teacher-relu-he-d4-adam", {
      dataset: "teacher",
      depth: 4,
      width: 32,
      activation: "relu",
      init: "he-normal",
      optimizer: "adam",
      lr: 0.003,
    }),
    trainCase("healthy", "teacher-tanh-xavier-d3-sgd", {
      dataset: "teacher",
      depth: 3,
      width: 32,
      activation: "tanh",
      init: "xavier-normal",
      optimizer: "sgd",
      lr: 0.05,
    }),
    trainCase("healthy", "moons-gelu-he-d5-momentum", {
      dataset: "moons",
      depth: 5,
      width: 32,
      activation: "gelu",
      init: "he-normal",
      optimizer: "momentum",
      lr: 0.01,
    }),
    trainCase("healthy", "circles-leaky-he-d8-sgd", {
      dataset: "circles",
      depth: 8,
      width: 32,
      activation: "leaky-relu",
      init: "he-normal",
      optimizer: "sgd",
      lr: 0.05,
    }),
    trainCase("healthy", "blobs-selu-lecun-d10-sgd", {
      dataset: "blobs",
      depth: 10,
      width: 32,
      activation: "selu",
      init: "lecun-normal",
      optimizer: "sgd",
      lr: 0.05,
    }),
    trainCase("healthy", "moons-swish-he-d6-adam", {
      dataset: "moons",
      depth: 6,
      width: 32,
      activation: "swish",
      init: "he-normal",
      optimizer: "adam",
      lr: 0.003,
    }),
    trainCase("healthy", "circles-softplus-he-d4-momentum", {
      dataset: "circles",
      depth: 4,
      width: 32,
      activation: "softplus",
      init: "he-normal",
      optimizer: "momentum",
      lr: 0.01,
    }),
    trainCase("healthy", "spirals-relu-he-bn-d10-sgd", {
      dataset: "spirals",
      depth: 10,
      width: 64,
      activation: "relu",
      init: "he-normal",
      batchNorm: true,
      optimizer: "sgd",
      lr: 0.1,
    }),
    trainCase("healthy", "spirals-tanh-ln-d10-adam", {
      dataset: "spirals",
      depth: 10,
      width: 64,
      activation: "tanh",
      init: "xavier-normal",
      layerNorm: true,
      optimizer: "adam",
      lr: 0.003,
    }),
    trainCase("healthy", "spirals-relu-he-res0.2-d20-sgd", {
      dataset: "spirals",
      depth: 20,
      width: 64,
      activation: "relu",
      init: "he-normal",
      residual: true,
      branchScale: 0.2,
      optimizer: "sgd",
      lr: 0.05,
    }),
    // vanishing gradients
    trainCase(
      "vanishing",
      "spirals-sigmoid-su-d20-sgd",
      {
        dataset: "spirals",
        depth: 20,
        width: 64,
        activation: "sigmoid",
        init: "standard-uniform",
        optimizer: "sgd",
        lr: 0.1,
      },
      {
        changes: { batchNorm: true },
        why: "batch norm restores unit-variance inputs to every sigmoid (the seed story: 99.5%)",
      },
    ),
    trainCase(
      "vanishing",
      "spirals-tanh-su-d30-sgd",
      {
        dataset: "spirals",
        depth: 30,
        width: 64,
        activation: "tanh",
        init: "standard-uniform",
        optimizer: "sgd",
        lr: 0.1,
      },
      {
        changes: { init: "xavier-normal" },
        why: "Xavier init puts tanh at sigma_w^2 = 1, the edge of chaos",
      },
    ),
    trainCase(
      "vanishing",
      "moons-relu-su-d30-sgd",
      {
        dataset: "moons",
        depth: 30,
        width: 32,
        activation: "relu",
        init: "standard-uniform",
        optimizer: "sgd",
        lr: 0.1,
      },
      {
        changes: { init: "he-normal", lr: 0.01 },
        why: "He init makes chi1 = 1 for ReLU (a deep ReLU net needs a smaller step)",
      },
    ),
    trainCase(
      "vanishing",
      "circles-sigmoid-xavier-d15-momentum",
      {
        dataset: "circles",
        depth: 15,
        width: 32,
        activation: "sigmoid",
        init: "xavier-uniform",
        optimizer: "momentum",
        lr: 0.01,
      },
      {
        changes: { activation: "relu", init: "he-normal" },
        why: "ReLU with He init: chi1 = 1 instead of ~0.06 per layer",
      },
    ),
    trainCase(
      "vanishing",
      "xor-tanh-su-d25-sgd",
      {
        dataset: "xor",
        depth: 25,
        width: 32,
        activation: "tanh",
        init: "standard-uniform",
        optimizer: "sgd",
        lr: 0.1,
      },
      { changes: { init: "xavier-normal" }, why: "Xavier init puts tanh at sigma_w^2 = 1" },
    ),
    trainCase(
      "vanishing",
      "blobs-sigmoid-su-d20-adam",
      {
        dataset: "blobs",
        depth: 20,
        width: 32,
        activation: "sigmoid",
        init: "standard-uniform",
        optimizer: "adam",
        lr: 0.001,
      },
      {
        changes: { batchNorm: true },
        why: "batch norm restores unit-variance inputs to every sigmoid",
      },
    ),
    trainCase(
      "vanishing",
      "teacher-sigmoid-su-d20-sgd",
      {
        dataset: "teacher",
        depth: 20,
        width: 32,
        activation: "sigmoid",
        init: "standard-uniform",
        optimizer: "sgd",
        lr: 0.1,
      },
      {
        changes: { activation: "tanh", init: "xavier-normal", lr: 0.05 },
        why: "tanh at the edge of chaos keeps the gradient through 20 layers",
      },
    ),
    // exploding: NaN/Inf (exploded) or a gradient norm that grows without bound
    trainCase(
      "exploding",
      "teacher-identity-w4-d30-sgd-lr1",
      {
        dataset: "teacher",
        depth: 30,
        width: 64,
        activation: "identity",
        init: "normal",
        weightVar: 4,
        loss: "mse",
        optimizer: "sgd",
        lr: 1,
      },
      {
        changes: { weightVar: 1, lr: 0.001 },
        why: "sigma_w^2 = 1 makes the linear net an isometry on average, and a step small enough for 30 linear layers (lr 0.01 still diverges)",
      },
    ),
    trainCase(
      "exploding",
      "spirals-tanh-w4-d20-sgd-lr1",
      {
        dataset: "spirals",
        depth: 20,
        width: 64,
        activation: "tanh",
        init: "normal",
        weightVar: 4,
        optimizer: "sgd",
        lr: 1,
      },
      {
        changes: { weightVar: 1, lr: 0.1 },
        why: "critical init (sigma_w^2 = 1) and a tenth of the learning rate",
      },
    ),
    trainCase(
      "exploding",
      "moons-relu-he-d10-sgd-lr1",
      {
        dataset: "moons",
        depth: 10,
        width: 32,
        activation: "relu",
        init: "he-normal",
        optimizer: "sgd",
        lr: 1,
      },
      { changes: { lr: 0.03 }, why: "a stable step size for a 10-layer ReLU net" },
    ),
    trainCase(
      "exploding",
      "circles-relu-he-d8-adam-lr0.1",
      {
        dataset: "circles",
        depth: 8,
        width: 32,
        activation: "relu",
        init: "he-normal",
        optimizer: "adam",
        lr: 0.1,
      },
      { changes: { lr: 0.003 }, why: "Adam's usual step size" },
    ),
    trainCase(
      "exploding",
      "blobs-relu-w3-d20-sgd-lr0.5",
      {
        dataset: "blobs",
        depth: 20,
        width: 32,
        activation: "relu",
        init: "normal",
        weightVar: 3,
        optimizer: "sgd",
        lr: 0.5,
      },
      {
        changes: { init: "he-normal", lr: 0.01 },
        why: "He init (chi1 = 1 instead of 1.5 per layer) and a small step",
      },
    ),
    trainCase("exploding", "teacher-identity-w4-d30-sgd-lr1-clip", {
      dataset: "teacher",
      depth: 30,
      width: 64,
      activation: "identity",
      init: "normal",
      weightVar: 4,
      loss: "mse",
      optimizer: "sgd",
      lr: 1,
      clip: "global-norm",
      clipThreshold: 1,
    }),
    trainCase("exploding", "spirals-tanh-w4-d20-momentum-lr0.1", {
      dataset: "spirals",
      depth: 20,
      width: 64,
      activation: "tanh",
      init: "normal",
      weightVar: 4,
      optimizer: "momentum",
      lr: 0.1,
    }),
  ];
}

export const INIT_CASES: readonly InitCase[] = initCases();
export const TRAIN_CASES: readonly TrainCase[] = trainCases();
export const CASES: readonly BenchCase[] = [...INIT_CASES, ...TRAIN_CASES];

/** A deterministic subset for `--quick` and the test: every k-th case of each group. */
export function quickSubset<T extends BenchCase>(cases: readonly T[], every = 4): T[] {
  const seen = new Map<string, number>();
  return cases.filter((c) => {
    const i = seen.get(c.group) ?? 0;
    seen.set(c.group, i + 1);
    return i % every === 0;
  });
}

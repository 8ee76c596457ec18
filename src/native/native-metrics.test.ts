/**
 * Recording with the native reductions registered gives the metrics the TypeScript loops give:
 * the same probe (same weights, same batch) measured with the kernel provider on and off, and
 * a trainer's recorded steps (whose gradient-norm pass hands its sums to the measurement) against
 * a plain gradNorm. Counts must match exactly; sums differ only by summation order.
 */
import { describe, expect, it } from "vitest";
import { setKernelProviderEnabled } from "../core/kernels/provider.ts";
import { gradNorm } from "../core/optim/grad-norm.ts";
import { Rng } from "../core/rng.ts";
import { resolveProbeConfig } from "../experiment/config.ts";
import { assembleDataset } from "../experiment/datasets/assemble.ts";
import { runProbe } from "../experiment/probe-run.ts";
import { Trainer } from "../experiment/train/trainer.ts";
import type { LayerMetrics } from "../probe/layer-metrics.ts";
import { l2Norm } from "../probe/stats.ts";
import { loadNativeKernels } from "./native-kernels.ts";
import { addonForTests } from "./test-addon.ts";

const addon = addonForTests();
if (addon) loadNativeKernels();

const COUNTS = [
  "layer",
  "saturated",
  "lowDerivative",
  "inactive",
  "dead",
  "nonfinite",
  "subnormal",
  "underflow",
] as const;
const SUMS = [
  "q",
  "gradPreactMeanSq",
  "gradWeightNorm",
  "gradBiasNorm",
  "weightNorm",
  "gradToWeight",
  "actMean",
  "actStd",
] as const;

function expectSameMetrics(
  got: readonly LayerMetrics[],
  want: readonly LayerMetrics[],
  rel: number,
): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, l) => {
    const w = want[l]!;
    for (const k of COUNTS) expect(g[k], `layer ${l + 1} ${k}`).toBe(w[k]);
    for (const k of SUMS) {
      const scale = Math.max(Math.abs(w[k]), 1e-300);
      expect(
        Math.abs(g[k] - w[k]) / scale,
        `layer ${l + 1} ${k}: ${g[k]} vs ${w[k]}`,
      ).toBeLessThanOrEqual(rel);
    }
  });
}

describe.skipIf(addon === null)("metrics with the native reductions", () => {
  for (const [activation, dtype] of [
    ["tanh", "f32"],
    ["sigmoid", "f64"],
    ["relu", "f32"],
    ["swish", "f64"],
  ] as const)
    it(`probe, ${activation} ${dtype}: provider on and off agree (arrays long enough to split)`, () => {
      // width 300, batch 128: 38,400 activations and 90,000 weights a layer, above the split size
      const config = resolveProbeConfig({
        depth: 4,
        width: 300,
        batch: 128,
        activation,
        dtype,
        seed: 3,
      });
      const on = runProbe(config).layers;
      const previous = setKernelProviderEnabled(false);
      try {
        const off = runProbe(config).layers;
        // relu's dz is half exact zeros: the native bound skips them, TypeScript counts them
        expect(on.some((m) => m.inactive > 0)).toBe(activation === "relu");
        expectSameMetrics(on, off, dtype === "f32" ? 1e-5 : 1e-12);
      } finally {
        setKernelProviderEnabled(previous);
      }
    });

  for (const native of [true, false])
    it(`a trainer's recorded steps (${native ? "native" : "TypeScript"} reductions): gradient norm and weight norms as read directly`, () => {
      const previous = setKernelProviderEnabled(native);
      const rng = new Rng(5);
      const n = 512;
      const x = new Float64Array(n * 16);
      rng.fillNormal(x);
      const labels = new Int32Array(n).map(() => rng.int(3));
      const dataset = assembleDataset(
        { task: "classification", count: n, inputDim: 16, x, labels, classes: 3 },
        { name: "t", description: "", dtype: "f64", testFraction: 0.1, rng: rng.fork() },
      );
      const make = (recordEvery: number): Trainer =>
        new Trainer(
          {
            depth: 3,
            width: 32,
            batch: 64,
            activation: "tanh",
            dtype: "f64",
            lr: 0.05,
            steps: 6,
            recordEvery,
            evalEvery: 0,
          },
          dataset,
        );
      const recorded = make(1);
      const plain = make(1_000_000);
      for (let s = 1; s <= 6; s++) {
        // the weights the step measures are the ones there now (from step 2 on, their sums come
        // from the previous update's pass)
        const wantNorms = recorded.network.blocks.map((b) => l2Norm(b.dense.W.data));
        const r = recorded.step();
        r!.layers.forEach((m, l) => {
          expect(
            Math.abs(m.weightNorm - wantNorms[l]!),
            `step ${s} layer ${l + 1}`,
          ).toBeLessThanOrEqual(1e-13 * wantNorms[l]!);
        });
        plain.step();
        expect(r).not.toBeNull();
        // same weights either way (recording never changes training)
        const [a, b] = [
          recorded.network.params()[0]!.value.data,
          plain.network.params()[0]!.value.data,
        ];
        expect(a[7]).toBe(b[7]);
        expect(Math.abs(r!.gradNorm - plain.lastGradNorm)).toBeLessThanOrEqual(
          1e-13 * plain.lastGradNorm,
        );
        expect(Math.abs(r!.gradNorm - gradNorm(recorded.network.params()))).toBeLessThanOrEqual(
          1e-13 * r!.gradNorm,
        );
      }
      setKernelProviderEnabled(previous);
    });
});

import { createLoss, type Loss } from "../core/loss.ts";
import type { Mat } from "../core/mat.ts";
import type { Network } from "../core/network.ts";
import { Rng } from "../core/rng.ts";
import type { LayerMetrics } from "../probe/layer-metrics.ts";
import { measureNetwork } from "../probe/measure.ts";
import { type ProbeSummary, summarize } from "../verdict/summary.ts";
import { ConfigError, type NetworkConfig, networkShape, type ProbeConfig } from "./config.ts";
import { estimateBytes, formatBytes } from "./memory.ts";
import { networkFromConfig } from "./network-from-config.ts";
import { gaussianInput, probeTarget } from "./probe-data.ts";
import type { ProbeTheory } from "./probe-theory.ts";

/** A network, its probe batch and its loss, ready for one forward/backward pass. */
export interface ProbeSetup {
  config: NetworkConfig;
  network: Network;
  input: Mat;
  target: Mat;
  loss: Loss;
}

/** Default ceiling for one network's buffers when the caller gives none (8 GiB). */
export const DEFAULT_MEMORY_LIMIT = 8 * 1024 ** 3;

/** Refuse, before allocating anything, a network whose buffers would exceed `limitBytes`. */
export function checkMemory(
  config: NetworkConfig,
  limitBytes: number = DEFAULT_MEMORY_LIMIT,
): void {
  const need = estimateBytes(config);
  if (need > limitBytes) {
    throw new ConfigError(
      `network needs about ${formatBytes(need)} (depth ${config.depth}, width ${config.width}, batch ${config.batch}, ${config.dtype}), over the ${formatBytes(limitBytes)} limit: reduce --width, --depth or --batch`,
    );
  }
}

/**
 * Build the network of `config` and its probe batch. The seed drives three independent
 * streams (weights, inputs, targets), so changing the batch size keeps the weights.
 */
export function buildProbe(config: NetworkConfig): ProbeSetup {
  const { inputDim, outputs } = networkShape(config);
  const master = new Rng(config.seed);
  const weightRng = master.fork();
  const inputRng = master.fork();
  const targetRng = master.fork();
  const network = networkFromConfig(config, inputDim, outputs, weightRng);
  const input = gaussianInput(config.batch, inputDim, config.dtype, inputRng);
  const target = probeTarget(config, targetRng);
  return { config, network, input, target, loss: createLoss(config.loss, config.dtype) };
}

/** One forward and backward pass in training mode; returns the loss value. */
export function forwardBackward(setup: ProbeSetup): number {
  const y = setup.network.forward(setup.input, "train");
  const value = setup.loss.forward(y, setup.target);
  setup.network.backward(setup.loss.backward());
  return value;
}

export interface Spread {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface LayerSpread {
  layer: number;
  q: Spread;
  gradPreactMeanSq: Spread;
  gradWeightNorm: Spread;
}

export interface ProbeResult {
  config: ProbeConfig;
  layers: LayerMetrics[];
  summary: ProbeSummary & {
    loss: number;
    repeats: number;
    /** Over repeats: spread of the per-layer factor and first-to-last ratio. */
    perLayerFactorSpread?: Spread;
    firstToLastRatioSpread?: Spread;
  };
  /** Per-layer spread over repeats (present when repeats > 1). */
  spread?: LayerSpread[];
  /** The mean-field prediction (probe --theory). */
  theory?: ProbeTheory;
  /** With batch norm: the predicted per-layer growth of E[dz^2] (probe --theory). */
  batchNormTheory?: { perLayerFactor: number; reference: string };
}

export interface RunProbeOptions {
  memoryLimitBytes?: number;
  /** Called after each repeat (1-based), e.g. for progress. */
  onRepeat?: (done: number, total: number) => void;
}

/** Run the probe `config.repeats` times (seeds seed, seed+1, ...) and average. */
export function runProbe(config: ProbeConfig, options: RunProbeOptions = {}): ProbeResult {
  checkMemory(config, options.memoryLimitBytes);
  const runs: { loss: number; layers: LayerMetrics[] }[] = [];
  for (let r = 0; r < config.repeats; r++) {
    const setup = buildProbe({ ...config, seed: config.seed + r });
    const loss = forwardBackward(setup);
    runs.push({ loss, layers: measureNetwork(setup.network) });
    options.onRepeat?.(r + 1, config.repeats);
  }
  const layers = averageLayers(runs.map((run) => run.layers));
  const summary = summarize(layers, config.dtype);
  const result: ProbeResult = {
    config,
    layers,
    summary: { ...summary, loss: mean(runs.map((run) => run.loss)), repeats: config.repeats },
  };
  if (config.repeats > 1) {
    const perRun = runs.map((run) => summarize(run.layers, config.dtype));
    result.summary.perLayerFactorSpread = spread(perRun.map((s) => s.perLayerFactor));
    result.summary.firstToLastRatioSpread = spread(perRun.map((s) => s.firstToLastRatio));
    result.spread = layers.map((m, l) => ({
      layer: m.layer,
      q: spread(runs.map((run) => run.layers[l]!.q)),
      gradPreactMeanSq: spread(runs.map((run) => run.layers[l]!.gradPreactMeanSq)),
      gradWeightNorm: spread(runs.map((run) => run.layers[l]!.gradWeightNorm)),
    }));
  }
  return result;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}

export function spread(xs: readonly number[]): Spread {
  const m = mean(xs);
  const variance = xs.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean: m, std: Math.sqrt(variance), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Mean of every numeric metric over runs; counts take the maximum, flags the "any". */
function averageLayers(runs: readonly LayerMetrics[][]): LayerMetrics[] {
  const first = runs[0]!;
  if (runs.length === 1) return first;
  return first.map((m0, l) => {
    const at = (k: keyof LayerMetrics): number[] => runs.map((run) => run[l]![k] as number);
    return {
      layer: m0.layer,
      q: mean(at("q")),
      gradPreactMeanSq: mean(at("gradPreactMeanSq")),
      gradWeightNorm: mean(at("gradWeightNorm")),
      gradBiasNorm: mean(at("gradBiasNorm")),
      weightNorm: mean(at("weightNorm")),
      gradToWeight: mean(at("gradToWeight")),
      actMean: mean(at("actMean")),
      actStd: mean(at("actStd")),
      saturated: mean(at("saturated")),
      lowDerivative: mean(at("lowDerivative")),
      inactive: mean(at("inactive")),
      dead: mean(at("dead")),
      nonfinite: Math.max(...at("nonfinite")),
      subnormal: Math.max(...at("subnormal")),
      underflow: runs.some((run) => run[l]!.underflow),
    };
  });
}

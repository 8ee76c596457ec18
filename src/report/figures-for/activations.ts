import type { Network } from "../../core/network.ts";
import type { NetworkConfig } from "../../experiment/config.ts";
import type { Dataset } from "../../experiment/datasets/index.ts";
import { buildProbe, forwardBackward } from "../../experiment/probe-run.ts";
import type { ResolvedTrainConfig } from "../../experiment/train/train-config.ts";
import { Trainer } from "../../experiment/train/trainer.ts";
import type { LayerMetrics } from "../../probe/layer-metrics.ts";
import { measureNetwork } from "../../probe/measure.ts";
import type { ActivationLayer } from "../figures/activation-histograms.ts";
import { MAX_HISTOGRAM_LAYERS, pickIndices } from "./common.ts";

/**
 * Activations phi(u) of a network after a forward and backward pass, for the histogram
 * figure: at most `max` layers (evenly spread, first and last included), each with its
 * `saturated` and `dead` metrics from the same pass.
 */
export function activationLayersOf(
  network: Network,
  metrics: readonly LayerMetrics[],
  max: number = MAX_HISTOGRAM_LAYERS,
): ActivationLayer[] {
  return pickIndices(network.depth, max).map((i) => {
    const phi = network.blocks[i]!.phi;
    const m = metrics[i]!;
    return {
      layer: i + 1,
      values: phi.data.slice(0, phi.size),
      saturated: m.saturated,
      dead: m.dead,
    };
  });
}

/**
 * The probe network of `config` (its first seed), one forward and backward pass on the probe
 * batch, and its activations: the histograms of `probe --plot`. The probe's result holds only
 * summary statistics, so the network is rebuilt; with the same seed it is the same network.
 */
export function probeActivationLayers(
  config: NetworkConfig,
  max: number = MAX_HISTOGRAM_LAYERS,
): ActivationLayer[] {
  const setup = buildProbe(config);
  forwardBackward(setup);
  return activationLayersOf(setup.network, measureNetwork(setup.network), max);
}

/**
 * The activations of a training run at initialization, on the minibatch of its step 1: a
 * run directory stores no raw activations, so the network is rebuilt from config.json (the
 * same seed gives the same initial weights and the same first minibatch; `dataset` must be
 * the run's data, loaded with the run's options). The metrics of this pass equal the ones
 * recorded for step 1.
 */
export function initialActivationLayers(
  config: ResolvedTrainConfig,
  dataset: Dataset,
  max: number = MAX_HISTOGRAM_LAYERS,
): ActivationLayer[] {
  const trainer = new Trainer(config, dataset);
  trainer.sampler.next();
  const y = trainer.network.forward(trainer.sampler.x, "train");
  trainer.loss.forward(y, trainer.sampler.y);
  trainer.network.backward(trainer.loss.backward());
  return activationLayersOf(trainer.network, measureNetwork(trainer.network), max);
}

/** Mean square of a dataset's training inputs (the input scale the theory line starts from). */
export function inputMeanSquare(dataset: Dataset): number {
  const x = dataset.trainX.data;
  const n = dataset.trainX.size;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
  return n > 0 ? s / n : 1;
}

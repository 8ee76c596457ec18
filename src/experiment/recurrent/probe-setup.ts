import { initDense } from "../../core/init.ts";
import { Dense } from "../../core/layers/dense.ts";
import { createLoss, type Loss } from "../../core/loss.ts";
import { Mat } from "../../core/mat.ts";
import { initRecurrent } from "../../core/recurrent/init-recurrent.ts";
import { RecurrentLayer } from "../../core/recurrent/recurrent-layer.ts";
import { Rng } from "../../core/rng.ts";
import { gaussianInput } from "../probe-data.ts";
import { type RecurrentConfig, recurrentShape } from "./config.ts";

/** A recurrent net, its readout (mse / cross-entropy), its probe batch and loss. */
export interface RecurrentProbeSetup {
  config: RecurrentConfig;
  layer: RecurrentLayer;
  /** Linear readout on h_T for mse / cross-entropy; null for random projection. */
  readout: Dense | null;
  /** x ~ N(0, I): [batch, T * inputDim], each row x_1..x_T. */
  input: Mat;
  target: Mat;
  loss: Loss;
}

/** The recurrent layer of a config, weights drawn from `rng` (see initRecurrent's order). */
export function recurrentLayerFromConfig(config: RecurrentConfig, rng: Rng): RecurrentLayer {
  const { inputDim } = recurrentShape(config);
  const layer = new RecurrentLayer({
    kind: config.arch,
    stepInputDim: inputDim,
    hidden: config.width,
    seqLen: config.seqLen,
    activation: config.activation,
    slope: config.slope,
    dtype: config.dtype,
  });
  initRecurrent(
    layer,
    {
      init: config.init,
      weightVar: config.weightVar,
      gain: config.gain,
      slope: config.slope,
      biasVar: config.biasVar,
      recurrentInit: config.recurrentInit,
      recurrentGain: config.recurrentGain,
      forgetBias: config.forgetBias,
    },
    rng,
  );
  // Nothing upstream of the probe's input needs its gradient.
  layer.computeInputGrad = false;
  return layer;
}

/**
 * Build the net of `config` and its probe batch. As for the MLP, the seed drives three forked
 * streams (weights, inputs, targets), so changing the batch size keeps the weights. The loss
 * is the random projection sum(R * h_T) of the final hidden state (R ~ N(0, 1), [batch, H]),
 * or mse / cross-entropy through a readout drawn after the recurrent weights.
 */
export function buildRecurrentProbe(config: RecurrentConfig): RecurrentProbeSetup {
  const { inputDim, outputs } = recurrentShape(config);
  const master = new Rng(config.seed);
  const weightRng = master.fork();
  const inputRng = master.fork();
  const targetRng = master.fork();
  const layer = recurrentLayerFromConfig(config, weightRng);
  let readout: Dense | null = null;
  if (outputs > 0) {
    readout = new Dense(config.width, outputs, config.dtype);
    initDense(
      readout.W,
      readout.b,
      config.init,
      {
        weightVar: config.weightVar,
        biasVar: config.biasVar,
        gain: config.gain,
        slope: config.slope,
      },
      weightRng,
    );
  }
  const input = gaussianInput(config.batch, config.seqLen * inputDim, config.dtype, inputRng);
  const cols = outputs > 0 ? outputs : config.width;
  const target = Mat.zeros(config.batch, cols, config.dtype);
  if (config.loss === "cross-entropy") {
    for (let r = 0; r < config.batch; r++) target.data[r * cols + targetRng.int(cols)] = 1;
  } else {
    targetRng.fillNormal(target.data);
  }
  return { config, layer, readout, input, target, loss: createLoss(config.loss, config.dtype) };
}

/** One forward and backward pass (BPTT through all T steps); returns the loss. */
export function recurrentForwardBackward(setup: RecurrentProbeSetup): number {
  const hT = setup.layer.forward(setup.input, "train");
  const y = setup.readout ? setup.readout.forward(hT, "train") : hT;
  const value = setup.loss.forward(y, setup.target);
  const dy = setup.loss.backward();
  setup.layer.backward(setup.readout ? setup.readout.backward(dy) : dy);
  return value;
}

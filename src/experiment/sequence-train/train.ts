import { isRecurrentArch } from "../arch-options.ts";
import { runSequenceLoop, type SequenceLoopOptions, type SequenceModel } from "./loop.ts";
import { recurrentModel, recurrentRunTask } from "./recurrent-model.ts";
import { transformerModel } from "./transformer-model.ts";
import type { RecurrentRunConfig, SequenceRunConfig, SequenceSummary } from "./types.ts";

/** The model and task of a run config (digits loads MNIST, hence async). */
export async function sequenceModel(config: SequenceRunConfig): Promise<SequenceModel> {
  if (isRecurrentArch(config.arch)) {
    const c = config as RecurrentRunConfig;
    return recurrentModel(c, await recurrentRunTask(c));
  }
  return transformerModel(config as Exclude<SequenceRunConfig, RecurrentRunConfig>);
}

/**
 * Train a recurrent net or a transformer and write its run through `options.sink` (a
 * SequenceRunWriter for a directory): config.json first, then metrics.jsonl line by line and
 * summary.json while running and at the end. Resolves with the final summary; the sink is
 * closed in every case.
 */
export async function trainSequenceRun(
  config: SequenceRunConfig,
  options: SequenceLoopOptions,
): Promise<SequenceSummary> {
  let model: SequenceModel;
  try {
    model = await sequenceModel(config);
  } catch (err) {
    options.sink.close();
    throw err;
  }
  return runSequenceLoop(config, model, options);
}

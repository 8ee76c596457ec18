import { Command } from "commander";
import { resolveTrainConfig, type TrainConfig } from "../../experiment/config.ts";
import { trainRecordsCsv } from "../../experiment/csv-export.ts";
import { type Dataset, DatasetError, loadDatasetAsync } from "../../experiment/datasets/index.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { TRAIN_OPTIONS } from "../../experiment/options.ts";
import { checkpointOption } from "../../experiment/train/checkpoint.ts";
import { diagnoseRunDir } from "../../experiment/train/diagnose-run.ts";
import type { TrainRecord } from "../../experiment/train/recorder.ts";
import {
  DEFAULT_CHECKPOINT_EVERY,
  loadResumable,
  resumeTrain,
} from "../../experiment/train/resume.ts";
import {
  checkRunDirFree,
  claimFreshRunDir,
  readRunDir,
  removeIfEmpty,
} from "../../experiment/train/run-dir.ts";
import { datasetOptions, defaultRunDir } from "../../experiment/train/train-config.ts";
import { type TrainOptions, type TrainResult, train } from "../../experiment/train/trainer.ts";
import {
  initialActivationLayers,
  inputMeanSquare,
  trainFigures,
} from "../../report/figures-for/index.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { UsageError } from "../errors.ts";
import { logSparkline } from "../format/bars.ts";
import { formatFindings } from "../format/findings.ts";
import { formatMetric } from "../format/numbers.ts";
import { addOptionFlags, collectOptionInput } from "../option-flags.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { interruptOnCtrlC, sampleEvenly, TrainProgressReporter } from "../progress.ts";
import { memoryLimit } from "./probe.ts";
import { refuseForMlp, requestedArch, TRAIN_ARCH_FLAGS, trainArch } from "./train-arch.ts";

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), after everything is written. */
export const INTERRUPTED_EXIT_CODE = 130;

export function trainCommand(output: Output): Command {
  const command = new Command("train")
    .description(
      "train a deep network on a dataset and record per-layer gradient flow into a run directory",
    )
    .option("--json", "print {runDir, config, summary} as JSON at the end")
    .option("--quiet", "no progress on stderr")
    .option(
      "--resume <run_dir>",
      "continue an interrupted run from its checkpoint.json (same result as an uninterrupted run)",
    )
    .option(
      "--checkpoint-every <steps>",
      "write RUN_DIR/checkpoint.json every this many steps (and at every evaluation and Ctrl-C)",
      String(DEFAULT_CHECKPOINT_EVERY),
    );
  addPlotCsvOptions(
    command,
    "loss curves, gradient norm by layer (first/last step), gradient heatmap, update ratios and activation histograms",
    "metrics.jsonl flattened (one row per step and layer)",
    { csvFlag: "csv-out" },
  );
  addOptionFlags(command, TRAIN_OPTIONS);
  addOptionFlags(command, TRAIN_ARCH_FLAGS, false);
  command.addHelpText(
    "after",
    `
Writes runs/NAME/: config.json (resolved config), metrics.jsonl (one line per recorded step:
{step, epoch, loss, lr, clipped, gradNorm, layers: [per-layer metrics + updateRatio],
trainLoss?, trainAcc?, testLoss?, testAcc?}) and summary.json (rewritten atomically while
running and at the end; status completed, exploded, interrupted or failed).

Exit status: 0 when the run completes and also when it explodes (NaN/Inf is a finding: the
step and the layer where it first appears are printed and stored in summary.json), 130 after
Ctrl-C (the run is written first; press Ctrl-C again to quit at once), 2 for bad options.

Examples:
  gradscope train --dataset spirals --depth 4 --width 64 --activation relu --init he-normal --optimizer adam --lr 0.01
  gradscope train --depth 20 --width 64 --activation sigmoid --init standard-uniform --out runs/sigmoid
  gradscope train --depth 30 --init normal --weight-var 4 --loss mse --lr 1 --clip global-norm --clip-threshold 1
  gradscope train --config runs/sigmoid/config.json --out runs/sigmoid-again
  gradscope train --resume runs/sigmoid   # after Ctrl-C or a crash: continue from checkpoint.json

Recurrent nets and transformers (--arch; metrics.jsonl records every time step or block,
docs/METRICS.md "Recurrent and transformer runs"). Their defaults differ from the MLP's:
adam, float32, clipping none; rnn/lstm/gru: --task adding, --seq-len 50, --width 32,
--batch 32, --lr 0.01, 500 steps; transformer: --task sequence, the probe's model (6 blocks,
width 64, 4 heads, --seq-len 16, --vocab 16), --batch 32, --lr 0.001, 300 steps.
  gradscope train --arch lstm --task adding --seq-len 100 --width 16 --steps 800 --clip global-norm
  gradscope train --arch rnn --task copy --seq-len 20 --recurrent-init identity --activation relu
  gradscope train --arch transformer --depth 24 --norm-position post --schedule warmup`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const { input, fromFile } = collectOptionInput(TRAIN_OPTIONS, command);
    const archFlags = collectOptionInput(TRAIN_ARCH_FLAGS, command).input;
    const arch = requestedArch(archFlags.arch, fromFile);
    if (arch !== "mlp") {
      const checkpointGiven = command.getOptionValueSource("checkpointEvery") !== "default";
      await trainArch(arch, fromFile, { ...input, ...archFlags }, opts, output, checkpointGiven);
      return;
    }
    refuseForMlp(archFlags);
    delete fromFile.arch;
    const checkpointEvery = Number(opts.checkpointEvery);
    if (!(Number.isInteger(checkpointEvery) && checkpointEvery >= 1)) {
      throw new UsageError(
        `--checkpoint-every must be an integer >= 1 (got '${String(opts.checkpointEvery)}')`,
      );
    }
    const resumeDir = typeof opts.resume === "string" ? opts.resume : null;
    if (resumeDir !== null && Object.keys({ ...fromFile, ...input }).length > 0) {
      throw new UsageError(
        "--resume continues a run with its own config.json: give no other training options",
      );
    }
    let config: TrainConfig;
    if (resumeDir === null) {
      resolveTrainConfig(fromFile, "key"); // report config-file mistakes by their key names
      config = resolveTrainConfig({ ...fromFile, ...input }, "flag");
    } else {
      const resumable = loadResumable(resumeDir);
      config = resumable.config;
      if (resumable.checkpoint === null && !opts.quiet) {
        output.err(
          `gradscope: ${resumeDir} stopped before its first checkpoint: training it again from step 1\n`,
        );
      }
    }
    const files = plotCsvFlags(opts, "csvOut");
    let runDir: string;
    let claimed = false;
    if (resumeDir !== null) runDir = resumeDir;
    else if (config.out) {
      runDir = config.out;
      checkRunDirFree(runDir); // before loading any data
    } else {
      runDir = claimFreshRunDir(defaultRunDir(config)); // unique even for runs started together
      claimed = true;
    }
    const firstAndLast = new FirstAndLast();
    let dataset: Awaited<ReturnType<typeof loadData>>;
    try {
      dataset = await loadData(config);
    } catch (err) {
      if (claimed) removeIfEmpty(runDir);
      throw err;
    }
    const quiet = opts.quiet === true;
    const progress = quiet ? null : new TrainProgressReporter(output);
    const interrupt = interruptOnCtrlC(output, progress);
    let result: TrainResult;
    try {
      const common = {
        dataset,
        signal: interrupt.signal,
        memoryLimitBytes: memoryLimit(),
        keepRecords: false,
        ...(progress
          ? {
              onRecord: (r: TrainRecord) => {
                progress.record(r);
                firstAndLast.take(r);
              },
              onProgress: (p) => progress.update(p),
            }
          : { onRecord: (r: TrainRecord) => firstAndLast.take(r) }),
      } satisfies TrainOptions;
      result =
        resumeDir === null
          ? await train(config, {
              ...common,
              runDir,
              checkpoint: checkpointOption(runDir, checkpointEvery),
            })
          : await resumeTrain(resumeDir, { ...common, checkpointEvery });
    } finally {
      interrupt.dispose();
      progress?.finish();
    }
    const diagnosis = diagnoseRunDir(runDir);
    output.out(
      opts.json
        ? `${toJson({ runDir, config: result.config, summary: { ...result.summary, ...(diagnosis ? { verdict: diagnosis.verdict, verdictMessage: diagnosis.verdictMessage } : {}), diagnosis } }, 2)}\n`
        : `${formatTrain(result, firstAndLast, diagnosis?.verdictMessage ?? null)}\n${diagnosis ? `\n${formatFindings(diagnosis).join("\n")}\n` : ""}`,
    );
    if (files.plot !== undefined || files.csv !== undefined) {
      const { records } = readRunDir(runDir);
      await writePlotCsv(files, output, opts.json === true, {
        table: () => trainRecordsCsv(records),
        figures: () =>
          trainFigures(
            { config: result.config, records, summary: result.summary },
            {
              document: nodeDocument(),
              prefix: "train-",
              activations: initialActivationLayers(result.config, dataset),
              inputMeanSq: inputMeanSquare(dataset),
            },
          ),
      });
    }
    if (result.summary.status === "interrupted") {
      // main() resolves 0 for a finished action; the process still exits 130, as a program
      // stopped by Ctrl-C should (the hook runs only when the process really exits).
      process.once("exit", () => {
        process.exitCode = INTERRUPTED_EXIT_CODE;
      });
    }
  });
  return command;
}

async function loadData(config: TrainConfig): Promise<Dataset> {
  try {
    return await loadDatasetAsync(config.dataset, datasetOptions(config));
  } catch (err) {
    if (err instanceof DatasetError) throw new UsageError(err.message);
    throw err;
  }
}

/** The first and the latest recorded step, for the closing report. */
export class FirstAndLast {
  first: TrainRecord | null = null;
  last: TrainRecord | null = null;
  take(record: TrainRecord): void {
    if (this.first === null) this.first = record;
    this.last = record;
  }
}

function gradientLine(label: string, record: TrainRecord | null): string | null {
  if (!record || record.layers.length === 0) return null;
  const norms = record.layers.map((m) => m.gradWeightNorm);
  const first = norms[0]!;
  const last = norms[norms.length - 1]!;
  return `${label} step ${record.step}: ${logSparkline(sampleEvenly(norms, 60))}  layer 1 ${formatMetric(first)}, layer ${norms.length} ${formatMetric(last)} (ratio ${formatMetric(first / last)})`;
}

/** The human-readable end of a run. */
export function formatTrain(
  result: TrainResult,
  records: FirstAndLast,
  verdict: string | null = null,
): string {
  const { config, summary, runDir } = result;
  const d = summary.dataset;
  const net = [
    `depth ${config.depth}`,
    `width ${config.width}`,
    config.activation === "leaky-relu" ? `leaky-relu(${config.slope})` : config.activation,
    `init ${config.init}${config.init === "normal" || config.init === "uniform" || config.init === "orthogonal" ? ` (weight var ${config.weightVar})` : ""}`,
    config.batchNorm ? "batch norm" : config.layerNorm ? "layer norm" : "",
    config.residual ? `residual (scale ${config.branchScale})` : "",
    config.dtype,
  ]
    .filter(Boolean)
    .join(", ");
  const opt = [
    `${config.optimizer} lr ${config.lr}${config.schedule !== "constant" ? ` (${config.schedule})` : ""}`,
    `batch ${config.batch}`,
    `${config.steps} steps`,
    config.loss,
    config.clip !== "none" ? `clip ${config.clip} ${config.clipThreshold}` : "",
    `seed ${config.seed}`,
  ]
    .filter(Boolean)
    .join(", ");
  const lines = [
    `gradscope train: ${d.name} (${d.train} train / ${d.test} test, ${d.inputDim} -> ${d.outputDim}); ${net}`,
    `  ${opt}`,
    "",
    summary.message,
  ];
  const g1 = gradientLine("gradient norm by layer (input -> output, log scale) at", records.first);
  const g2 =
    records.last && records.last !== records.first
      ? gradientLine("gradient norm by layer (input -> output, log scale) at", records.last)
      : null;
  if (g1) lines.push(g1);
  if (g2) lines.push(g2);
  // the run's verdict (initialization and history, src/verdict judgeRun), as the diagnosis says
  if (verdict !== null) lines.push(`verdict: ${verdict}`);
  else if (summary.gradients.final) {
    lines.push(`gradient verdict (last recorded step): ${summary.gradients.final.message}`);
  }
  if (config.clip !== "none") {
    lines.push(`clipped steps: ${summary.clippedSteps} of ${summary.stepsDone}`);
  }
  if (summary.bestTestAcc !== null) {
    lines.push(
      `best test accuracy ${formatMetric(summary.bestTestAcc)} at step ${summary.bestTestAccStep}`,
    );
  }
  const bn = summary.batchNorm;
  if (bn) {
    const r = bn.runningStats;
    const old = [
      r.testLoss !== null
        ? `test loss ${formatMetric(r.testLoss)}`
        : `train loss ${formatMetric(r.trainLoss)}`,
      r.testAcc !== null ? `test accuracy ${formatMetric(r.testAcc)}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    lines.push(
      `batch norm: final evaluation with running statistics recomputed from the final weights (${bn.recalibratedLayers} layers); with the momentum averages: ${old}`,
    );
  }
  lines.push(`run directory: ${runDir}`);
  return lines.join("\n");
}

import { Command } from "commander";
import {
  buildRun,
  checkFree,
  ImportError,
  readLogdir,
  writeImportedRun,
} from "../../experiment/import/index.ts";
import { UsageError } from "../errors.ts";
import type { Output } from "../output.ts";

/** `gradscope import tensorboard LOGDIR --out RUN_DIR` (and room for other formats). */
export function importCommand(output: Output): Command {
  const command = new Command("import").description(
    "turn another tool's training logs into a gradscope run directory (diagnose and report read it)",
  );
  command.addHelpText(
    "after",
    `
Formats:
  tensorboard   TensorBoard event files (events.out.tfevents.*)

Example:
  gradscope import tensorboard runs/tb/mlp --out runs/mlp && gradscope diagnose runs/mlp`,
  );
  command.addCommand(tensorboardCommand(output));
  return command;
}

function tensorboardCommand(output: Output): Command {
  const command = new Command("tensorboard")
    .description(
      "import a TensorBoard log (TF1 and TF2 scalar and histogram summaries) as a gradscope run directory",
    )
    .argument(
      "<logdir>",
      "a log directory; every events.out.tfevents.* file in it and below is read",
    )
    .requiredOption("--out <run_dir>", "the run directory to write (must not hold a run)")
    .option("--loss-tag <tag>", "the scalar tag of the training loss (default: found by name)")
    .option("--name <name>", "a name for the run (config.json)");
  command.addHelpText(
    "after",
    `
What is read: per-parameter histograms of the values and the gradients (add_histogram of p and
of p.grad; TF2 tf.summary.histogram), and scalars (the loss, a learning rate, a gradient norm).
Tags are mapped by name (docs/METRICS.md, "Importing TensorBoard logs"):
  gradient   grad/NAME, grads/NAME, gradients/NAME, NAME/grad, NAME.grad, NAME_grad
  weights    NAME ending in .weight, .bias, /kernel, ... ; weights/NAME, params/NAME
  loss       loss, train/loss, Loss/train, train_loss, epoch_loss, ... (not val/test/eval)
where NAME is MODULE.PARAM (layers.0.weight) or MODULE/PARAM (dense/kernel). Modules are
ordered by name, numbers as numbers (layers.2 before layers.10): TensorBoard does not record
the forward order.

Written per module and step: gradWeightNorm, gradBiasNorm, weightNorm (from the histograms'
sums of squares), gradToWeight, a lower bound of NaN/Inf entries, and the histograms; per step
the loss, the learning rate and the global gradient norm (a logged one, else from every logged
parameter gradient). TensorBoard logs hold no per-layer dL/dz (gradPreactMeanSq), forward
signal or activation statistics: they are null, and gradscope diagnose lists the rules that
need them as not measurable.

Event files from several directories are one run when only one directory has parameter
histograms (Keras' train/ and validation/: the others' tags get their directory as a prefix);
two directories with histograms are two runs, and the import asks for one of them.

A corrupt or truncated record is reported with its file and byte offset: a record whose data
checksum fails is skipped, after a broken header reading resumes at the next valid record, and
a file that ends mid-record ends there. The rest is read.

Exit status: 0 when written (warnings or not), 2 for a missing log directory, no event files,
no readable TFRecord data, no gradient histograms, or an --out that already holds a run.

Examples:
  gradscope import tensorboard runs/Mar01_mlp --out runs/mlp
  gradscope diagnose runs/mlp
  gradscope import tensorboard logs/fit --out runs/keras --loss-tag epoch_loss`,
  );
  command.action((logdir: string, opts: Record<string, unknown>) => {
    const out = String(opts["out"]);
    try {
      checkFree(out); // before reading: a long read should not end in this refusal
      let warnings = 0;
      const log = readLogdir(logdir, (line) => {
        warnings++;
        output.err(`gradscope: warning: ${line}\n`);
      });
      const run = buildRun(log.collector, {
        logdir,
        eventFiles: log.files.length,
        ...(typeof opts["lossTag"] === "string" ? { lossTag: opts["lossTag"] } : {}),
        ...(typeof opts["name"] === "string" ? { name: opts["name"] } : {}),
      });
      writeImportedRun(out, run);
      const lines = [
        `gradscope import tensorboard: ${logdir} -> ${out}`,
        `  ${log.files.length} event file${log.files.length === 1 ? "" : "s"}${log.runDir !== "." ? ` (run: ${log.runDir})` : ""}, ${log.collector.events} events${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"} (above)` : ""}`,
        ...run.notes.map((n) => `  ${n}`),
        "",
        `next: gradscope diagnose ${out}   (or gradscope report ${out})`,
      ];
      output.out(`${lines.join("\n")}\n`);
    } catch (err) {
      if (err instanceof ImportError) throw new UsageError(`import tensorboard: ${err.message}`);
      throw err;
    }
  });
  return command;
}

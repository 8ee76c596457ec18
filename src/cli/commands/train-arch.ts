import { ARCH_OPTIONS, type ArchName } from "../../experiment/arch-options.ts";
import { parseOptionValue } from "../../experiment/config.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import {
  resolveSequenceRun,
  SEQUENCE_TRAIN_OPTIONS,
} from "../../experiment/sequence-train/options.ts";
import { defaultSequenceRunDir } from "../../experiment/sequence-train/run-name.ts";
import { SequenceRunWriter } from "../../experiment/sequence-train/run-writer.ts";
import { trainSequenceRun } from "../../experiment/sequence-train/train.ts";
import {
  isTransformerRun,
  type SequenceRecord,
  type SequenceRunConfig,
  type SequenceSummary,
} from "../../experiment/sequence-train/types.ts";
import {
  checkRunDirFree,
  claimFreshRunDir,
  removeIfEmpty,
} from "../../experiment/train/run-dir.ts";
import { sequenceFigures } from "../../report/figures-for/sequence.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { UsageError } from "../errors.ts";
import { logSparkline } from "../format/bars.ts";
import { formatMetric } from "../format/numbers.ts";
import type { Output } from "../output.ts";
import { plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { interruptOnCtrlC, sampleEvenly, TrainProgressReporter } from "../progress.ts";

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as `train`'s. */
const INTERRUPTED = 130;

/**
 * The architecture a command was asked for: the --arch flag, else the config file's `arch`
 * key, else the MLP. Errors name the flag or the key.
 */
export function requestedArch(
  archFlag: unknown,
  fromFile: Readonly<Record<string, unknown>>,
): ArchName {
  return parseOptionValue(
    ARCH_OPTIONS[0]!,
    archFlag ?? fromFile.arch ?? "mlp",
    archFlag !== undefined ? "flag" : "key",
  ) as ArchName;
}

/** The options of `train` that the MLP has and these families have not: refused when typed. */
function refuseMlpOnly(opts: Readonly<Record<string, unknown>>, arch: string): void {
  if (typeof opts.resume === "string") {
    throw new UsageError(`--resume is not available for --arch ${arch} yet (no checkpoints)`);
  }
  if (opts.csvOut !== undefined) {
    throw new UsageError(`--csv-out is not available for --arch ${arch} yet (--plot is)`);
  }
}

/**
 * `gradscope train --arch rnn|lstm|gru|transformer`: resolve the options (config file keys
 * first, then flags), claim the run directory, train with progress on stderr and Ctrl-C
 * handling as the MLP's train, print the result (or --json) and write --plot figures.
 */
export async function trainArch(
  arch: Exclude<ArchName, "mlp">,
  fromFile: Readonly<Record<string, unknown>>,
  flags: Readonly<Record<string, unknown>>,
  opts: Record<string, unknown>,
  output: Output,
  checkpointEveryGiven: boolean,
): Promise<void> {
  refuseMlpOnly(opts, arch);
  if (checkpointEveryGiven) {
    throw new UsageError(`--checkpoint-every is not available for --arch ${arch} yet`);
  }
  resolveSequenceRun(arch, fromFile, "key"); // config-file mistakes by their key names
  const config = resolveSequenceRun(arch, { ...fromFile, ...flags }, "flag");
  const files = plotCsvFlags(opts, "csvOut");
  let runDir: string;
  let claimed = false;
  if (config.out) {
    runDir = config.out;
    checkRunDirFree(runDir);
  } else {
    runDir = claimFreshRunDir(defaultSequenceRunDir(config));
    claimed = true;
  }
  let writer: SequenceRunWriter;
  try {
    writer = new SequenceRunWriter(runDir);
  } catch (err) {
    if (claimed) removeIfEmpty(runDir);
    throw err;
  }
  const quiet = opts.quiet === true;
  const progress = quiet ? null : new TrainProgressReporter(output);
  const interrupt = interruptOnCtrlC(output, progress);
  const ends = new FirstAndLastRecord();
  let summary: SequenceSummary;
  try {
    summary = await trainSequenceRun(config, {
      sink: writer,
      signal: interrupt.signal,
      onRecord: (r) => ends.take(r),
      ...(progress
        ? {
            onProgress: (p) => progress.update({ ...p, epoch: 1, trainLoss: null, trainAcc: null }),
          }
        : {}),
    });
  } finally {
    interrupt.dispose();
    progress?.finish();
  }
  output.out(
    opts.json
      ? `${toJson({ runDir, config, summary }, 2)}\n`
      : `${formatSequenceRun(config, summary, ends, runDir)}\n`,
  );
  if (files.plot !== undefined) {
    const records = ends.all;
    await writePlotCsv(files, output, opts.json === true, {
      figures: () =>
        sequenceFigures(
          { config, records, summary },
          { document: nodeDocument(), prefix: "train-" },
        ),
    });
  }
  if (summary.status === "interrupted") {
    process.once("exit", () => {
      process.exitCode = INTERRUPTED;
    });
  }
}

/** The records of a run as they arrive (kept for --plot; the ends for the closing lines). */
export class FirstAndLastRecord {
  readonly all: SequenceRecord[] = [];
  get first(): SequenceRecord | null {
    return this.all[0] ?? null;
  }
  get last(): SequenceRecord | null {
    return this.all[this.all.length - 1] ?? null;
  }
  take(r: SequenceRecord): void {
    this.all.push(r);
  }
}

/** The run's net and budget in one line each. */
export function describeSequenceRun(c: SequenceRunConfig): [string, string] {
  const net = isTransformerRun(c)
    ? `transformer, ${c.depth} blocks (${c.normPosition}-LN), width ${c.width}, ${c.heads} heads, ffn ${c.ffnWidth} ${c.activation}, ${c.positions} positions, init ${c.init}${c.gain !== 1 ? ` (gain ${c.gain})` : ""}, ${c.dtype}`
    : `${c.arch}${c.arch === "rnn" ? ` (${c.activation})` : ""}, hidden ${c.width}, init ${c.init}, recurrent ${c.recurrentInit} x ${c.recurrentGain}${c.arch === "lstm" ? `, forget bias ${c.forgetBias}` : ""}, ${c.dtype}`;
  const schedule =
    c.schedule === "constant"
      ? ""
      : ` (${c.schedule}${c.schedule === "warmup" ? ` ${c.warmupSteps} steps` : ""})`;
  const budget = [
    `${c.optimizer} lr ${c.lr}${schedule}`,
    `batch ${c.batch}`,
    `${c.steps} steps`,
    c.clip === "global-norm" ? `clip global-norm ${c.clipThreshold}` : "",
    `seed ${c.seed}`,
  ]
    .filter(Boolean)
    .join(", ");
  return [net, budget];
}

/** Gradient norms by time step or block of one record, for a sparkline. */
export function pointNorms(r: SequenceRecord): { unit: string; norms: number[] } {
  if (r.blocks) return { unit: "block", norms: r.blocks.map((b) => b.gradWeightNorm) };
  return { unit: "time step", norms: (r.timeSteps ?? []).map((s) => s.gradHiddenNorm) };
}

function profileLine(r: SequenceRecord | null): string | null {
  if (!r) return null;
  const { unit, norms } = pointNorms(r);
  if (norms.length === 0) return null;
  const first = norms[0]!;
  const last = norms[norms.length - 1]!;
  const what =
    unit === "block" ? "|dW_ffn2| by block (1 -> L" : "|dL/dh_t| by time step (t = 1 -> T";
  const ends =
    unit === "block" ? `block 1 / block ${norms.length}` : `|dL/dh_1| / |dL/dh_${norms.length}|`;
  return `${what}, log scale) at step ${r.step}: ${logSparkline(sampleEvenly(norms, 60))}  ${ends} ${formatMetric(first / last)}`;
}

/** The human-readable end of a run. */
export function formatSequenceRun(
  config: SequenceRunConfig,
  summary: SequenceSummary,
  records: { first: SequenceRecord | null; last: SequenceRecord | null },
  runDir: string,
): string {
  const [net, budget] = describeSequenceRun(config);
  const lines = [
    `gradscope train: ${summary.task.description}; ${net}`,
    `  ${budget}`,
    "",
    summary.message,
  ];
  for (const r of [records.first, records.last !== records.first ? records.last : null]) {
    const line = profileLine(r);
    if (line) lines.push(line);
  }
  if (summary.verdictMessage) lines.push(`verdict: ${summary.verdictMessage}`);
  if (config.clip === "global-norm") {
    lines.push(`clipped steps: ${summary.clippedSteps} of ${summary.stepsDone}`);
  }
  lines.push(`run directory: ${runDir}`);
  return lines.join("\n");
}

/** The flags `train` and `compare` register for the other families (ARCH_OPTIONS and --task ...). */
/**
 * The flags `train` registers beside TRAIN_OPTIONS: --task is TRAIN_OPTIONS' own (one flag
 * for the CSV's classification | regression and the families' tasks), so it is left out here.
 */
export const TRAIN_ARCH_FLAGS = [...ARCH_OPTIONS, ...SEQUENCE_TRAIN_OPTIONS].filter(
  (s) => s.key !== "task",
);

/** An MLP run: the other families' options would change nothing, so they are refused. */
export function refuseForMlp(archFlags: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(archFlags)) {
    if (key === "arch") continue;
    const spec = TRAIN_ARCH_FLAGS.find((s) => s.key === key)!;
    throw new UsageError(
      `--${spec.flag} does not apply to --arch mlp (the default); give --arch rnn, lstm, gru or transformer`,
    );
  }
}

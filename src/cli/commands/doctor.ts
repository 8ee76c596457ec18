import { Command } from "commander";
import { resolveTrainConfig, type TrainConfig } from "../../experiment/config.ts";
import {
  ACCURACY_GAIN_MARGIN,
  DEFAULT_SEEDS,
  type DoctorReport,
  type DoctorRun,
  doctor,
  EXPLODING_LR_FACTORS,
  LOSS_GAIN_MARGIN,
  LR_FACTORS,
  type SeedOutcome,
} from "../../experiment/doctor.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { TRAIN_OPTIONS } from "../../experiment/options.ts";
import { defaultJobs, parseJobs } from "../../experiment/pool/pool.ts";
import { checkRunDirFree } from "../../experiment/train/run-dir.ts";
import { comparisonFigures } from "../../report/figures-for/comparison.ts";
import { nodeDocument } from "../../report/node.ts";
import { doctorCsv, RunsAtEnds } from "../comparison-output.ts";
import { UsageError } from "../errors.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import { addOptionFlags, collectOptionInput } from "../option-flags.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { doctorArchCli } from "./doctor-arch.ts";
import { refuseForMlp, requestedArch, TRAIN_ARCH_FLAGS } from "./train-arch.ts";

const factorList = (fs: readonly number[]): string => fs.map(factorText).join(", ");

/** x1, x1/3, x3, x0.4 */
function factorText(f: number): string {
  const inverse = Number((1 / f).toPrecision(6));
  if (f < 1 && Number.isInteger(inverse)) return `x1/${inverse}`;
  return `x${Number(f.toPrecision(3))}`;
}

/** A learning rate as printed: at most 4 significant digits. */
const rateText = (lr: number): string => String(Number(lr.toPrecision(4)));

export function doctorCommand(output: Output): Command {
  const command = new Command("doctor")
    .description(
      "diagnose a configuration's gradient flow, then run each applicable remedy at several seeds and learning rates and rank them by measured improvement",
    )
    .option(
      "--budget <steps>",
      "training steps of every run (the baseline and every remedy)",
      "300",
    )
    .option("--steps <n>", "the same as --budget (the flag compare and train use)")
    .option(
      "--seeds <k>",
      `seeds per configuration, paired by seed (seed, seed+1, ...; default ${DEFAULT_SEEDS})`,
      String(DEFAULT_SEEDS),
    )
    .option(
      "--more-seeds <k>",
      "most seeds added, in rounds of --seeds, for no change and each remedy whose gain is beyond its margin in size but not beyond the seed noise (default: 3 x --seeds; 0: never)",
    )
    .option("--max-treatments <n>", "most remedies (and combinations) to try", "6")
    .option(
      "--lr-factors <list>",
      `learning-rate multipliers every configuration is trained at, e.g. 1,0.3 (default ${factorList(LR_FACTORS)}; ${factorList(EXPLODING_LR_FACTORS)} when no change blows up); each keeps the one with the lowest mean final training-set loss; 1 turns the sweep off`,
    )
    .option("--lr-sweep", "also try 3 times the learning rate")
    .option(
      "--jobs <n>",
      `runs trained at once, one worker thread each (default ${defaultJobs()}: min(2, cores)); 1 trains them in this process. Results do not depend on it`,
    )
    .option("--json", "print the full report as JSON");
  addPlotCsvOptions(command, "the gradient norm by layer of every run", "the treatments table", {
    csvFlag: "csv-out",
  });
  addOptionFlags(
    command,
    TRAIN_OPTIONS.filter((s) => s.key !== "steps"),
  );
  addOptionFlags(command, TRAIN_ARCH_FLAGS, false);
  command.addHelpText(
    "after",
    `
doctor trains your configuration for --budget steps at each of --seeds seeds and diagnoses
every run (vanishing, exploding, saturation, dead units, unstable updates, loss plateau,
non-finite values, underflow); it acts on the findings of most seeds. Then it trains "no
change" and every remedy the diagnosis suggests (and the best two together) for the same
budget at every seed and at a short sweep of learning rates, keeping for each the rate with
the lowest mean final training-set loss (the test set chooses nothing). Seed s gives every
configuration the same data, split and initial draw, so each remedy is compared with no
change seed by seed: "better" needs the mean paired gain in test accuracy (test loss for
regression) to clear its margin AND the seed noise (2 standard errors of the paired
differences), the other measure not to get worse beyond them, no seed to blow up, and the
remedy to learn above chance. A remedy whose gain is beyond its margin in size but not
beyond the noise is trained at --seeds more seeds (no change too) and judged again, up to
--more-seeds added seeds. Wins that do not beat each other beyond the margin and the noise
share a rank. Remedies are applied as they are used in practice: residual branches are
scaled by 1/depth, and batch-norm statistics are recomputed from the final weights before
the final evaluation. --out DIR keeps every run. Runs train in parallel on --jobs worker
threads, each seeded by its config alone, so the numbers are the same for any --jobs (only
the timings differ). compare --steps N --seed S trains the same run as doctor's at lr x1
and seed S.

Examples:
  gradscope doctor --depth 20 --width 64 --activation sigmoid --init standard-uniform --dataset spirals
  gradscope doctor --depth 30 --init normal --weight-var 4 --loss mse --lr 1 --dataset blobs
  gradscope doctor --config runs/mine/config.json --budget 500 --seeds 5 --json

Recurrent nets and transformers (--arch rnn|lstm|gru|transformer; the options of train --arch):
the verdict over time steps or blocks, at initialization and over the run, picks the remedies
(rnn: IRNN, LSTM, GRU, orthogonal W_hh, clipping; lstm: forget-gate bias; transformer:
pre-LN, DeepNorm, warmup, a smaller initialization, clipping), judged by the same rule. The
final training loss a rate is kept by is the mean minibatch loss of the last 10% of the steps.
  gradscope doctor --arch rnn --task adding --seq-len 50 --width 16 --clip global-norm
  gradscope doctor --arch transformer --depth 24 --width 32 --ffn-width 64 --seq-len 8 --vocab 4 --batch 16 --lr 0.003 --steps 60 --lr-factors 1`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const specs = TRAIN_OPTIONS.filter((s) => s.key !== "steps");
    const { input, fromFile } = collectOptionInput(specs, command);
    const archFlags = collectOptionInput(TRAIN_ARCH_FLAGS, command).input;
    const arch = requestedArch(archFlags.arch, fromFile);
    if (arch !== "mlp") {
      await doctorArchCli(arch, fromFile, { ...input, ...archFlags }, opts, command, output);
      return;
    }
    refuseForMlp(archFlags);
    delete fromFile.arch;
    const { steps: _steps, ...fileConfig } = fromFile;
    resolveTrainConfig(fileConfig, "key");
    const { out, ...flags } = { ...fileConfig, ...input } as Record<string, unknown>;
    const config = resolveTrainConfig(flags, "flag");
    const budgetSource = command.getOptionValueSource("budget");
    if (
      opts.steps !== undefined &&
      budgetSource === "cli" &&
      String(opts.steps) !== String(opts.budget)
    ) {
      throw new UsageError(
        `--steps and --budget are the same setting; got --steps ${String(opts.steps)} and --budget ${String(opts.budget)}`,
      );
    }
    const budgetText = opts.steps !== undefined ? String(opts.steps) : String(opts.budget);
    const budgetFlag = opts.steps !== undefined ? "--steps" : "--budget";
    const budget = Number(budgetText);
    if (!Number.isInteger(budget) || budget < 10 || budget > 100_000) {
      throw new UsageError(
        `${budgetFlag} must be an integer between 10 and 100000 (got '${budgetText}')`,
      );
    }
    const seeds = Number(opts.seeds);
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100) {
      throw new UsageError(
        `--seeds must be an integer between 1 and 100 (got '${String(opts.seeds)}')`,
      );
    }
    let moreSeeds: number | undefined;
    if (opts.moreSeeds !== undefined) {
      moreSeeds = Number(opts.moreSeeds);
      if (!Number.isInteger(moreSeeds) || moreSeeds < 0 || moreSeeds > 100) {
        throw new UsageError(
          `--more-seeds must be an integer between 0 and 100 (got '${String(opts.moreSeeds)}')`,
        );
      }
    }
    const maxTreatments = Number(opts.maxTreatments);
    if (!Number.isInteger(maxTreatments) || maxTreatments < 1 || maxTreatments > 20) {
      throw new UsageError(
        `--max-treatments must be an integer between 1 and 20 (got '${String(opts.maxTreatments)}')`,
      );
    }
    const { lrFactors, jobs } = parseRateAndJobs(opts);
    const outDir = typeof out === "string" ? out : undefined;
    if (outDir) checkRunDirFree(outDir);
    const files = plotCsvFlags(opts, "csvOut");
    const runs = new RunsAtEnds();
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const report = await doctor(config as Partial<TrainConfig>, {
        budget,
        seeds,
        ...(moreSeeds === undefined ? {} : { moreSeeds }),
        maxTreatments,
        jobs,
        ...(lrFactors ? { lrFactors } : {}),
        ...(opts.lrSweep ? { higherLr: true } : {}),
        ...(outDir ? { outDir } : {}),
        signal: controller.signal,
        onStage: (m) => output.err(`${m}\n`),
        onRun: (label, run) => runs.take(label, run.records, run),
      });
      output.err(`doctor: ${report.runs} runs in ${(report.elapsedMs / 1000).toFixed(1)} s\n`);
      output.out(opts.json ? `${toJson(report, 2)}\n` : `${formatDoctor(report)}\n`);
      await writePlotCsv(files, output, opts.json === true, {
        table: () => doctorCsv(report),
        figures: () =>
          comparisonFigures(runs.start, runs.end, {
            document: nodeDocument(),
            prefix: "doctor-",
            subtitle: `no change and each remedy, ${budget} steps each, first seed at the kept learning rate`,
          }),
      });
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
  });
  return command;
}

const value = (v: number | null): string => (v === null ? "-" : formatMetric(v));
const percent = (v: number | null): string => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);
const points = (v: number): string => (100 * v).toFixed(1);
const signed = (v: number, text: string): string => (v >= 0 ? "+" : "") + text;

type Treatment = DoctorReport["treatments"][number];

/** "99.0% (97.5-100.0)": the mean over seeds and the range. */
function accuracyCell(run: DoctorRun): string {
  const s = run.spread.testAcc;
  if (!s) return percent(run.outcome.testAcc);
  return s.n > 1 ? `${percent(s.mean)} (${points(s.min)}-${points(s.max)})` : percent(s.mean);
}

function lossCell(run: DoctorRun): string {
  const s = run.spread.testLoss;
  if (!s)
    return run.broke > 0 ? `blew up ${run.broke}/${run.seeds.length}` : value(run.outcome.testLoss);
  return s.n > 1 ? `${value(s.mean)} (${value(s.min)}-${value(s.max)})` : value(s.mean);
}

/** "+65.5 ±1.2": the mean paired gain and the noise it was held against. */
function accGainCell(t: Treatment): string {
  if (t.accuracyGain === null) return "-";
  const noise = t.noise.accuracy;
  return `${signed(t.accuracyGain, points(t.accuracyGain))}${noise !== null && t.seeds.length > 1 ? ` ±${points(noise)}` : ""}`;
}

function lossGainCell(t: Treatment): string {
  const gain = t.lossGain;
  if (gain === Number.POSITIVE_INFINITY) return t.improves ? "rescued" : "-";
  if (gain === Number.NEGATIVE_INFINITY) return "blew up";
  const noise = t.noise.loss;
  return `${signed(gain, formatMetric(gain))}${noise !== null && t.seeds.length > 1 ? ` ±${formatMetric(noise)}` : ""}`;
}

export function formatDoctor(r: DoctorReport): string {
  const k = r.seeds.length;
  const sweep = r.lrFactors.length > 1;
  const lrs = r.baselineRun.lrTried.map((x) => rateText(x.lr));
  const lines = [
    `gradscope doctor: ${r.steps} steps per run; ${k - r.moreSeeds.length} seed${k - r.moreSeeds.length > 1 ? "s" : ""} per configuration (${r.seeds.slice(0, k - r.moreSeeds.length).join(", ")}${r.moreSeeds.length > 0 ? `; ${r.moreSeeds.join(", ")} added where the noise left a verdict open` : ""}), paired by seed; ${sweep ? `learning rates ${factorList(r.lrFactors)} (${lrs.join(", ")}) for each, kept by mean final training-set loss` : `learning rate ${lrs.join(", ")}`}`,
    `budget: ${r.runs} runs of ${r.steps} steps on ${r.kernels} kernels`,
    "",
  ];
  if (r.diagnosis.findings.length === 0) lines.push("diagnosis: no findings");
  for (const f of r.diagnosis.findings) {
    lines.push(`[${f.severity}] ${f.title}`);
    lines.push(`  cause: ${f.cause}`);
    for (const e of f.evidence)
      lines.push(`  ${e.label}: ${formatMetric(e.value)}${e.unit ? ` ${e.unit}` : ""}`);
  }
  if (r.findingsSeen.length > 0 && r.seeds.length > 1) {
    lines.push(
      `findings over the seeds' runs of the configuration as given: ${r.findingsSeen
        .map((x) => `${x.id} ${x.seeds} of ${x.of}`)
        .join(
          ", ",
        )} (the remedies of findings in more than half the seeds are tried; the text above is seed ${r.seeds[0]}'s)`,
    );
  }
  const base = r.baselineRun;
  const rows = [
    [
      "-",
      "no change",
      value(base.lr),
      lossCell(base),
      accuracyCell(base),
      "",
      "",
      "",
      value(base.outcome.initialGradRatio),
      base.learned ? "" : "at chance",
      "",
    ],
    ...r.treatments.map((t) => [
      t.rank === null ? "-" : String(t.rank),
      t.label,
      value(t.lr),
      lossCell(t),
      accuracyCell(t),
      accGainCell(t),
      lossGainCell(t),
      Number.isFinite(t.flowGain) ? signed(t.flowGain, t.flowGain.toFixed(1)) : "-",
      value(t.outcome.initialGradRatio),
      t.note ? `${t.verdict} (${t.note})` : t.verdict,
      t.remaining.join(", ") || "none",
    ]),
  ];
  const range = k > 1 ? " (min-max)" : "";
  lines.push(
    "",
    renderTable(
      [
        { header: "rank" },
        { header: "remedy", align: "left" },
        { header: "lr" },
        { header: `test loss${range}` },
        { header: `test acc${range}` },
        { header: `acc gain (pts)${k > 1 ? " ±noise" : ""}` },
        { header: `test loss gain${k > 1 ? " ±noise" : ""}` },
        { header: "flow gain (decades)" },
        { header: "grad ratio L1/L" },
        { header: "verdict", align: "left" as const },
        { header: "findings left", align: "left" as const },
      ],
      rows,
    ),
  );
  lines.push("", ...notes(r));
  lines.push("", r.headline);
  return lines.join("\n");
}

function seedCells(seeds: readonly SeedOutcome[], classification: boolean): string {
  return seeds
    .map((s) =>
      s.status === "exploded" || s.status === "failed"
        ? s.status
        : classification && s.testAcc !== null
          ? points(s.testAcc)
          : value(s.testLoss ?? s.finalLoss),
    )
    .join(" ");
}

/** What the table's numbers mean and what was done to get them. */
function notes(r: DoctorReport): string[] {
  const k = r.seeds.length;
  const classification = r.baselineRun.spread.testAcc !== null;
  const noise =
    k > 1
      ? ` and the seed noise (${r.margins.noiseStandardErrors} standard errors of the paired differences, shown as ±)`
      : " (one seed: no noise estimate)";
  const out = [
    classification
      ? `verdict: "better" = the mean paired gain in test accuracy or test loss clears its margin (accuracy ${(100 * ACCURACY_GAIN_MARGIN).toFixed(0)} pts, loss ${(100 * LOSS_GAIN_MARGIN).toFixed(0)}% of no change's)${noise}, the other does not get worse beyond them, no seed blew up, and the remedy learned above chance; "mixed" = one better, the other worse: not counted as a win. Wins that do not beat each other beyond the margin and the noise share a rank (simpler remedies listed first).`
      : `verdict: "better" = the mean paired test loss (training loss without a test set) lower by more than ${(100 * LOSS_GAIN_MARGIN).toFixed(0)}% of no change's${noise}, no seed blew up, and the remedy learned above chance; "worse" = higher by more than that.`,
    r.chance.accuracy !== null
      ? `chance: ${percent(r.chance.accuracy)} test accuracy (the most common class of each seed's test set, mean over seeds); learning means beating it by ${(100 * ACCURACY_GAIN_MARGIN).toFixed(0)} pts and the noise.`
      : `chance: test loss ${value(r.chance.loss)} (predicting the training targets' mean); learning means a test loss lower by ${(100 * r.margins.chanceLoss).toFixed(0)}% of it and the noise.`,
    "flow gain: decades of first-to-last gradient imbalance removed at initialization (|log10 ratio| of no change minus the remedy's, first seed).",
    `test ${classification ? "accuracy (%)" : "loss"} per seed (${r.seeds.join(", ")}), at the kept rate:`,
    `  no change: ${seedCells(r.baselineRun.seeds, classification)}`,
    ...r.treatments.map((t) => `  ${t.label}: ${seedCells(t.seeds, classification)}`),
    ...(r.moreSeeds.length > 0
      ? [
          `  (seeds ${r.moreSeeds.join(", ")} only for no change and the remedies whose verdict the first ${k - r.moreSeeds.length} left open; each remedy is compared with no change over the seeds both ran)`,
        ]
      : []),
  ];
  const recal = [
    ...(r.baselineRun.recalibrated ? [{ label: "no change", run: r.baselineRun }] : []),
    ...r.treatments
      .filter((t) => t.recalibrated)
      .map((t) => ({ label: t.label, run: t as DoctorRun })),
  ];
  if (recal.length > 0) {
    out.push(
      "batch norm: statistics recomputed from the final weights over the training set before the final evaluation (the running averages lag a fast-moving deep network); with the running averages the first seed's test loss was:",
    );
    for (const { label, run } of recal) {
      const before = run.recalibrated!.before;
      const first = run.seeds[0]!;
      const acc = (v: number | null): string => (v === null ? "" : `, test acc ${percent(v)}`);
      out.push(
        `  ${label}: test loss ${value(before.testLoss)}${acc(before.testAcc)} (recomputed: ${value(first.testLoss)}${acc(first.testAcc)})`,
      );
    }
  }
  const swept = [
    { label: "no change", run: r.baselineRun },
    ...r.treatments.map((t) => ({ label: t.label, run: t as DoctorRun })),
  ].filter((x) => x.run.lrTried.length > 1);
  if (swept.length > 0) {
    out.push(
      "learning rates tried (mean final training-set loss over the seeds), the kept one first:",
    );
    for (const { label, run } of swept)
      out.push(
        `  ${label}: ${[...run.lrTried]
          .sort((a, b) => Number(b.lr === run.lr) - Number(a.lr === run.lr))
          .map(
            (x) =>
              `${formatMetric(x.lr)} -> ${x.broke > 0 ? `blew up in ${x.broke} of ${x.seeds.length}` : value(x.trainLoss)}`,
          )
          .join(", ")}`,
      );
  }
  if (r.covered.length > 0)
    out.push(
      `not run separately: ${r.covered.join(", ")} (no change is trained at that rate in the sweep)`,
    );
  return out;
}

/**
 * doctor's --lr-factors (1 to 10 positive numbers; --lr-sweep adds 3x) and --jobs, for the
 * MLP doctor and doctor --arch alike.
 */
export function parseRateAndJobs(opts: Readonly<Record<string, unknown>>): {
  lrFactors: number[] | undefined;
  jobs: number;
} {
  let lrFactors: number[] | undefined;
  if (opts.lrFactors !== undefined) {
    const text = String(opts.lrFactors);
    lrFactors = text.split(",").map((t) => Number(t.trim()));
    if (
      lrFactors.length === 0 ||
      lrFactors.length > 10 ||
      lrFactors.some((f) => !(f > 0) || !Number.isFinite(f))
    ) {
      throw new UsageError(
        `--lr-factors must be 1 to 10 positive numbers separated by commas (got '${text}')`,
      );
    }
    if (opts.lrSweep) lrFactors.push(3);
  }
  let jobs = defaultJobs();
  if (opts.jobs !== undefined) {
    try {
      jobs = parseJobs(String(opts.jobs));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { lrFactors, jobs };
}

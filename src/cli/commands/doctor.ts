import { Command } from "commander";
import { resolveTrainConfig, type TrainConfig } from "../../experiment/config.ts";
import {
  ACCURACY_GAIN_MARGIN,
  type DoctorReport,
  doctor,
  LOSS_GAIN_MARGIN,
  LR_SWEEP,
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

export function doctorCommand(output: Output): Command {
  const command = new Command("doctor")
    .description(
      "diagnose a configuration's gradient flow, then run each applicable remedy and rank them by measured improvement",
    )
    .option("--budget <steps>", "training steps for the baseline and for every remedy", "300")
    .option("--max-treatments <n>", "most remedies (and combinations) to try", "6")
    .option(
      "--lr-sweep",
      "train no change and every network remedy at 1/3, 1 and 3 times the learning rate and keep, for each, the rate with the lowest final training-set loss (3x the time)",
    )
    .option(
      "--jobs <n>",
      `remedies trained at once, one worker thread each (default ${defaultJobs()}: min(2, cores)); 1 trains them in this process. Results do not depend on it`,
    )
    .option("--json", "print the full report as JSON");
  addPlotCsvOptions(command, "the gradient norm by layer of every run", "the treatments table", {
    csvFlag: "csv-out",
  });
  addOptionFlags(
    command,
    TRAIN_OPTIONS.filter((s) => s.key !== "steps"),
  );
  command.addHelpText(
    "after",
    `
doctor trains your configuration for --budget steps and diagnoses it (vanishing, exploding,
saturation, dead units, unstable updates, loss plateau, non-finite values, underflow). Then it
trains every remedy the diagnosis suggests, and the best two together, for the same budget
on the same data and seed, and compares each with "no change" on test accuracy AND test loss
(and shows how much more evenly the gradient flows through depth). A remedy is ranked as a
win ("better") only when neither measure gets worse; one that gains accuracy but loses on
loss is shown as "mixed". Remedies are applied as they are used in practice: residual
branches are scaled by 1/depth, and batch-norm statistics are recomputed from the final
weights before the final evaluation. --lr-sweep gives every configuration its own learning
rate (x1/3, x1, x3, chosen on the training set). --out DIR keeps every run. "no change" runs
first; the remedies then train in parallel on --jobs worker threads, each seeded by its config
alone, so the numbers are the same for any --jobs (only the timings differ).

Examples:
  gradscope doctor --depth 20 --width 64 --activation sigmoid --init standard-uniform
  gradscope doctor --depth 30 --init normal --weight-var 4 --loss mse --lr 1
  gradscope doctor --config runs/mine/config.json --budget 500 --json`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const specs = TRAIN_OPTIONS.filter((s) => s.key !== "steps");
    const { input, fromFile } = collectOptionInput(specs, command);
    const { steps: _steps, ...fileConfig } = fromFile;
    resolveTrainConfig(fileConfig, "key");
    const { out, ...flags } = { ...fileConfig, ...input } as Record<string, unknown>;
    const config = resolveTrainConfig(flags, "flag");
    const budget = Number(opts.budget);
    if (!Number.isInteger(budget) || budget < 10 || budget > 100_000) {
      throw new UsageError(
        `--budget must be an integer between 10 and 100000 (got '${String(opts.budget)}')`,
      );
    }
    const maxTreatments = Number(opts.maxTreatments);
    if (!Number.isInteger(maxTreatments) || maxTreatments < 1 || maxTreatments > 20) {
      throw new UsageError(
        `--max-treatments must be an integer between 1 and 20 (got '${String(opts.maxTreatments)}')`,
      );
    }
    let jobs = defaultJobs();
    if (opts.jobs !== undefined) {
      try {
        jobs = parseJobs(String(opts.jobs));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
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
        maxTreatments,
        jobs,
        ...(opts.lrSweep ? { lrFactors: LR_SWEEP } : {}),
        ...(outDir ? { outDir } : {}),
        signal: controller.signal,
        onStage: (m) => output.err(`${m}\n`),
        onRun: (label, run) => runs.take(label, run.records),
      });
      output.out(opts.json ? `${toJson(report, 2)}\n` : `${formatDoctor(report)}\n`);
      await writePlotCsv(files, output, opts.json === true, {
        table: () => doctorCsv(report),
        figures: () =>
          comparisonFigures(runs.start, runs.end, {
            document: nodeDocument(),
            prefix: "doctor-",
            subtitle: `no change and each remedy, ${budget} steps each, same data and seed`,
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
const signed = (v: number, text: string): string => (v >= 0 ? "+" : "") + text;

type Treatment = DoctorReport["treatments"][number];

export function formatDoctor(r: DoctorReport): string {
  const sweep = r.lrFactors.length > 1;
  const lines = [
    `gradscope doctor: ${r.budget} steps per run, same data and seed${sweep ? `; learning rates x${r.lrFactors.map((f) => formatMetric(f)).join(", x")} tried for each, kept by final training-set loss` : ""}`,
    "",
  ];
  if (r.diagnosis.findings.length === 0) lines.push("diagnosis: no findings");
  for (const f of r.diagnosis.findings) {
    lines.push(`[${f.severity}] ${f.title}`);
    lines.push(`  cause: ${f.cause}`);
    for (const e of f.evidence)
      lines.push(`  ${e.label}: ${formatMetric(e.value)}${e.unit ? ` ${e.unit}` : ""}`);
  }
  if (r.treatments.length > 0) {
    const base = r.baseline;
    let rank = 0;
    const rows = [
      [
        "-",
        "no change",
        ...(sweep ? [value(r.baselineRun.lr)] : []),
        value(base.testLoss),
        percent(base.testAcc),
        "",
        "",
        "",
        value(base.initialGradRatio),
        "",
        "",
      ],
      ...r.treatments.map((t) => [
        t.improves ? String(++rank) : "-",
        t.label,
        ...(sweep ? [value(t.lr)] : []),
        value(t.outcome.testLoss),
        percent(t.outcome.testAcc),
        t.accuracyGain === null ? "-" : signed(t.accuracyGain, (100 * t.accuracyGain).toFixed(1)),
        lossGainText(t),
        Number.isFinite(t.flowGain) ? signed(t.flowGain, t.flowGain.toFixed(1)) : "-",
        value(t.outcome.initialGradRatio),
        t.verdict,
        t.remaining.join(", ") || "none",
      ]),
    ];
    lines.push(
      "",
      renderTable(
        [
          { header: "rank" },
          { header: "remedy", align: "left" },
          ...(sweep ? [{ header: "lr" }] : []),
          { header: "test loss" },
          { header: "test acc" },
          { header: "acc gain (pts)" },
          { header: "test loss gain" },
          { header: "flow gain (decades)" },
          { header: "grad ratio L1/L" },
          { header: "verdict", align: "left" as const },
          { header: "findings left", align: "left" as const },
        ],
        rows,
      ),
    );
    lines.push("", ...notes(r));
  }
  lines.push("", r.headline);
  return lines.join("\n");
}

/** What the table's numbers mean and what was done to get them. */
function notes(r: DoctorReport): string[] {
  const out = [
    r.baseline.testAcc === null
      ? `verdict: "better" = test loss (training loss without a test set) lower by more than ${(100 * LOSS_GAIN_MARGIN).toFixed(0)}% of no change's; "worse" = higher by more than that.`
      : `verdict: "better" = test accuracy or test loss improved beyond its margin and the other did not get worse beyond its margin (accuracy ${(100 * ACCURACY_GAIN_MARGIN).toFixed(0)} pts, loss ${(100 * LOSS_GAIN_MARGIN).toFixed(0)}% of no change's); "mixed" = one better, the other worse: not counted as a win.`,
    "flow gain: decades of first-to-last gradient imbalance removed at initialization (|log10 ratio| of no change minus the remedy's).",
  ];
  const recal = [
    ...(r.baselineRun.recalibrated ? [{ label: "no change", run: r.baselineRun }] : []),
    ...r.treatments
      .filter((t) => t.recalibrated)
      .map((t) => ({ label: t.label, run: t as DoctorReport["baselineRun"] })),
  ];
  if (recal.length > 0) {
    out.push(
      "batch norm: statistics recomputed from the final weights over the training set before the final evaluation (the running averages lag a fast-moving deep network); with the running averages the test loss was:",
    );
    for (const { label, run } of recal) {
      const before = run.recalibrated!.before;
      const acc = (v: number | null): string => (v === null ? "" : `, test acc ${percent(v)}`);
      out.push(
        `  ${label}: test loss ${value(before.testLoss)}${acc(before.testAcc)} (recomputed: ${value(run.outcome.testLoss)}${acc(run.outcome.testAcc)})`,
      );
    }
  }
  const swept = r.treatments.filter((t) => t.lrTried.length > 1);
  if (swept.length > 0 || r.baselineRun.lrTried.length > 1) {
    out.push("learning rates tried (final training-set loss), the kept one first:");
    const line = (label: string, run: DoctorReport["baselineRun"]): string =>
      `  ${label}: ${[...run.lrTried]
        .sort((a, b) => Number(b.lr === run.lr) - Number(a.lr === run.lr))
        .map(
          (x) =>
            `${formatMetric(x.lr)} -> ${x.status === "completed" ? value(x.trainLoss) : x.status}`,
        )
        .join(", ")}`;
    if (r.baselineRun.lrTried.length > 1) out.push(line("no change", r.baselineRun));
    for (const t of swept) out.push(line(t.label, t));
  }
  return out;
}

function lossGainText(t: Treatment): string {
  const gain = t.lossGain;
  if (gain === Number.POSITIVE_INFINITY) return t.improves ? "rescued" : "-";
  if (gain === Number.NEGATIVE_INFINITY) return "exploded";
  return signed(gain, formatMetric(gain));
}

import type { Command } from "commander";
import type { ArchName } from "../../experiment/arch-options.ts";
import { ConfigError } from "../../experiment/config.ts";
import type { AnySeedOutcome } from "../../experiment/doctor/paired.ts";
import {
  type ArchDoctorReport,
  type ArchDoctorRun,
  type ArchTreatment,
  doctorArch,
} from "../../experiment/doctor-arch/doctor.ts";
import { TRAIN_LOSS_FRACTION } from "../../experiment/doctor-arch/run.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { resolveSequenceRun } from "../../experiment/sequence-train/options.ts";
import { checkRunDirFree } from "../../experiment/train/run-dir.ts";
import { UsageError } from "../errors.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import type { Output } from "../output.ts";
import { parseRateAndJobs } from "./doctor.ts";
import { describeSequenceRun } from "./train-arch.ts";

/** Exit code after Ctrl-C (128 + SIGINT), as `train`'s. */
const INTERRUPTED = 130;

/** doctor's own flags (budget, seeds, sweep, jobs), checked as the MLP doctor checks them. */
interface DoctorFlags {
  budget: number;
  seeds: number;
  moreSeeds: number | undefined;
  maxTreatments: number;
  lrFactors: number[] | undefined;
  higherLr: boolean;
  jobs: number;
}

function doctorFlags(opts: Record<string, unknown>, command: Command): DoctorFlags {
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
  const whole = (flag: string, v: unknown, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(
        `--${flag} must be an integer between ${min} and ${max} (got '${String(v)}')`,
      );
    }
    return n;
  };
  const seeds = whole("seeds", opts.seeds, 1, 100);
  const moreSeeds =
    opts.moreSeeds === undefined ? undefined : whole("more-seeds", opts.moreSeeds, 0, 100);
  const maxTreatments = whole("max-treatments", opts.maxTreatments, 1, 20);
  const { lrFactors, jobs } = parseRateAndJobs(opts);
  return {
    budget,
    seeds,
    moreSeeds,
    maxTreatments,
    lrFactors,
    higherLr: opts.lrSweep === true,
    jobs,
  };
}

/**
 * `gradscope doctor --arch rnn|lstm|gru|transformer`: the run config from the config file and
 * the flags (as `train --arch` resolves it, steps = the budget), then doctorArch, the table
 * (or --json) and the `gradscope train` command of the best remedy.
 */
export async function doctorArchCli(
  arch: Exclude<ArchName, "mlp">,
  fromFile: Readonly<Record<string, unknown>>,
  flags: Readonly<Record<string, unknown>>,
  opts: Record<string, unknown>,
  command: Command,
  output: Output,
): Promise<void> {
  for (const [key, flag] of [
    ["plot", "plot"],
    ["csvOut", "csv-out"],
  ] as const) {
    if (opts[key] !== undefined) {
      throw new UsageError(`--${flag} is not available for doctor --arch ${arch} yet`);
    }
  }
  // a run's config.json names its own directory: --out alone says where doctor's runs go
  const { steps: _steps, out: _runDir, ...file } = fromFile;
  const d = doctorFlags(opts, command);
  const { out, ...given } = { ...file, ...flags } as Record<string, unknown>;
  let config: ReturnType<typeof resolveSequenceRun>;
  try {
    resolveSequenceRun(arch, file, "key"); // config-file mistakes by their key names
    config = resolveSequenceRun(arch, { ...given, steps: d.budget }, "flag");
  } catch (err) {
    throw err instanceof ConfigError ? new UsageError(err.message) : err;
  }
  const outDir = typeof out === "string" ? out : undefined;
  if (outDir) checkRunDirFree(outDir);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  let report: ArchDoctorReport;
  try {
    report = await doctorArch(config, {
      budget: d.budget,
      seeds: d.seeds,
      ...(d.moreSeeds === undefined ? {} : { moreSeeds: d.moreSeeds }),
      maxTreatments: d.maxTreatments,
      jobs: d.jobs,
      ...(d.lrFactors ? { lrFactors: d.lrFactors } : {}),
      ...(d.higherLr ? { higherLr: true } : {}),
      ...(outDir ? { outDir } : {}),
      signal: controller.signal,
      onStage: (m) => output.err(`${m}\n`),
    });
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  output.err(`doctor: ${report.runs} runs in ${(report.elapsedMs / 1000).toFixed(1)} s\n`);
  output.out(opts.json ? `${toJson(report, 2)}\n` : `${formatArchDoctor(report)}\n`);
  if (controller.signal.aborted) {
    process.once("exit", () => {
      process.exitCode = INTERRUPTED;
    });
  }
}

const value = (v: number | null): string => (v === null ? "-" : formatMetric(v));
const percent = (v: number | null): string => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);
const points = (v: number): string => (100 * v).toFixed(1);
const signed = (v: number, text: string): string => (v >= 0 ? "+" : "") + text;
const rateText = (lr: number): string => String(Number(lr.toPrecision(4)));

function factorText(f: number): string {
  const inverse = Number((1 / f).toPrecision(6));
  if (f < 1 && Number.isInteger(inverse)) return `x1/${inverse}`;
  return `x${Number(f.toPrecision(3))}`;
}

function accuracyCell(run: ArchDoctorRun): string {
  const s = run.spread.testAcc;
  if (!s) return run.broke > 0 ? `blew up ${run.broke}/${run.seeds.length}` : "-";
  return s.n > 1 ? `${percent(s.mean)} (${points(s.min)}-${points(s.max)})` : percent(s.mean);
}

function lossCell(run: ArchDoctorRun): string {
  const s = run.spread.testLoss;
  if (!s) return run.broke > 0 ? `blew up ${run.broke}/${run.seeds.length}` : "-";
  return s.n > 1 ? `${value(s.mean)} (${value(s.min)}-${value(s.max)})` : value(s.mean);
}

function accGainCell(t: ArchTreatment): string {
  if (t.accuracyGain === null) return "-";
  const noise = t.noise.accuracy;
  return `${signed(t.accuracyGain, points(t.accuracyGain))}${noise !== null && t.seeds.length > 1 ? ` ±${points(noise)}` : ""}`;
}

function lossGainCell(t: ArchTreatment): string {
  const gain = t.lossGain;
  if (gain === Number.POSITIVE_INFINITY) return t.improves ? "rescued" : "-";
  if (gain === Number.NEGATIVE_INFINITY) return "blew up";
  const noise = t.noise.loss;
  return `${signed(gain, formatMetric(gain))}${noise !== null && t.seeds.length > 1 ? ` ±${formatMetric(noise)}` : ""}`;
}

function seedCells(seeds: readonly AnySeedOutcome[], classification: boolean): string {
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

export function formatArchDoctor(r: ArchDoctorReport): string {
  const k = r.seeds.length;
  const first = k - r.moreSeeds.length;
  const [net, budget] = describeSequenceRun(r.config);
  const lrs = r.baselineRun.lrTried.map((x) => rateText(x.lr));
  const sweep = r.lrFactors.length > 1;
  const lines = [
    `gradscope doctor --arch ${r.arch}: ${r.task.description}; ${net}`,
    `  ${budget}`,
    `${r.steps} steps per run; ${first} seed${first > 1 ? "s" : ""} per configuration (${r.seeds.slice(0, first).join(", ")}${r.moreSeeds.length > 0 ? `; ${r.moreSeeds.join(", ")} added where the noise left a verdict open` : ""}), paired by seed; ${sweep ? `learning rates ${r.lrFactors.map(factorText).join(", ")} (${lrs.join(", ")}) for each, kept by mean final training loss` : `learning rate ${lrs.join(", ")}`}`,
    `budget: ${r.runs} runs of ${r.steps} steps on ${r.kernels} kernels`,
    "",
    `diagnosis (flow over ${r.diagnosis.unit}s, the configuration as given):`,
  ];
  for (const s of r.diagnosis.seeds) {
    lines.push(`  seed ${s.seed} at initialization: ${s.initMessage ?? "-"}`);
    lines.push(`  seed ${s.seed} over the run: ${s.runMessage ?? "-"}`);
  }
  if (r.proposed.length === 0) {
    lines.push(
      "remedies: none proposed (no verdict other than healthy in more than half the seeds, at initialization or over the run)",
    );
  } else {
    lines.push(`remedies proposed for ${r.diagnosis.acted.join(", ")}:`);
    for (const p of r.proposed) lines.push(`  ${p.label} (${p.reference}): ${p.why}`);
  }
  const base = r.baselineRun;
  const cls = r.classification;
  const rows = [
    [
      "-",
      "no change",
      value(base.lr),
      lossCell(base),
      ...(cls ? [accuracyCell(base)] : []),
      ...(cls ? [""] : []),
      "",
      base.flowText,
      base.learned ? "" : "at chance",
    ],
    ...r.treatments.map((t) => [
      t.rank === null ? "-" : String(t.rank),
      t.label,
      value(t.lr),
      lossCell(t),
      ...(cls ? [accuracyCell(t)] : []),
      ...(cls ? [accGainCell(t)] : []),
      lossGainCell(t),
      t.flowText,
      t.note ? `${t.verdict} (${t.note})` : t.verdict,
    ]),
  ];
  const range = k > 1 ? " (min-max)" : "";
  const noise = k > 1 ? " ±noise" : "";
  lines.push(
    "",
    renderTable(
      [
        { header: "rank" },
        { header: "remedy", align: "left" },
        { header: "lr" },
        { header: `test loss${range}` },
        ...(cls ? [{ header: `test acc${range}` }] : []),
        ...(cls ? [{ header: `acc gain (pts)${noise}` }] : []),
        { header: `test loss gain${noise}` },
        { header: `flow verdict (${r.diagnosis.unit}s)`, align: "left" as const },
        { header: "vs no change", align: "left" as const },
      ],
      rows,
    ),
    "",
    ...notes(r),
    "",
    r.headline,
  );
  if (r.best) lines.push("", `best remedy, as a run: ${r.best.train.command}`);
  return lines.join("\n");
}

function notes(r: ArchDoctorReport): string[] {
  const k = r.seeds.length;
  const noise =
    k > 1
      ? ` and the seed noise (${r.margins.noiseStandardErrors} standard errors of the paired differences, shown as ±)`
      : " (one seed: no noise estimate)";
  const cls = r.classification;
  const out = [
    cls
      ? `vs no change: the MLP doctor's rule. "better" = the mean paired gain in test accuracy clears ${(100 * r.margins.accuracy).toFixed(0)} pts${noise}, the test loss does not get worse beyond ${(100 * r.margins.loss).toFixed(0)}% and the noise, no seed blew up, and the remedy learned above chance; "no gain" = no clear difference; "mixed" = one measure better, the other worse.`
      : `vs no change: the MLP doctor's rule. "better" = the mean paired test loss lower by more than ${(100 * r.margins.loss).toFixed(0)}% of no change's${noise}, no seed blew up, and the remedy learned above chance; "worse" = higher by more than that; "no gain" = no clear difference.`,
    cls
      ? `chance: ${percent(r.chance.accuracy)} test accuracy (${r.arch === "transformer" ? "the most common class of each seed's test set" : "guessing"}); learning means beating it by ${(100 * r.margins.accuracy).toFixed(0)} pts and the noise.`
      : `chance: test loss ${value(r.chance.loss)} (the best input-blind answer); learning means a test loss lower by ${(100 * r.margins.chanceLoss).toFixed(0)}% of it and the noise.`,
    `flow verdict: the run's verdict over every recorded step (as train and diagnose), most seeds, at the kept rate. Final training loss: the mean minibatch loss of the last ${(100 * TRAIN_LOSS_FRACTION).toFixed(0)}% of the steps (the test set chooses nothing).`,
    `test ${cls ? "accuracy (%)" : "loss"} per seed (${r.seeds.join(", ")}), at the kept rate:`,
    `  no change: ${seedCells(r.baselineRun.seeds, cls)}`,
    ...r.treatments.map((t) => `  ${t.label}: ${seedCells(t.seeds, cls)}`),
  ];
  const swept = [r.baselineRun, ...r.treatments].filter((x) => x.lrTried.length > 1);
  if (swept.length > 0) {
    out.push("learning rates tried (mean final training loss over the seeds), the kept one first:");
    for (const run of swept)
      out.push(
        `  ${run.label}: ${[...run.lrTried]
          .sort((a, b) => Number(b.lr === run.lr) - Number(a.lr === run.lr))
          .map(
            (x) =>
              `${formatMetric(x.lr)} -> ${x.broke > 0 ? `blew up in ${x.broke} of ${x.seeds.length}` : value(x.trainLoss)}`,
          )
          .join(", ")}`,
      );
  }
  return out;
}

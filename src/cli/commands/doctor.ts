import { Command } from "commander";
import { resolveTrainConfig, type TrainConfig } from "../../experiment/config.ts";
import { type DoctorReport, doctor } from "../../experiment/doctor.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { TRAIN_OPTIONS } from "../../experiment/options.ts";
import { checkRunDirFree } from "../../experiment/train/run-dir.ts";
import { comparisonFigures } from "../../report/figures-for/comparison.ts";
import { nodeDocument } from "../../report/node.ts";
import { outcomesCsv, RunsAtEnds } from "../comparison-output.ts";
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
on the same data and seed, and ranks them against "no change" by the loss they reach and by
how much more evenly the gradient flows through depth. --out DIR keeps every run.

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
        ...(outDir ? { outDir } : {}),
        signal: controller.signal,
        onStage: (m) => output.err(`${m}\n`),
        onRun: (label, run) => runs.take(label, run.records),
      });
      output.out(opts.json ? `${toJson(report, 2)}\n` : `${formatDoctor(report)}\n`);
      await writePlotCsv(files, output, opts.json === true, {
        table: () => outcomesCsv([report.baseline, ...report.treatments.map((t) => t.outcome)]),
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

export function formatDoctor(r: DoctorReport): string {
  const lines = [`gradscope doctor: ${r.budget} steps per run, same data and seed`, ""];
  if (r.diagnosis.findings.length === 0) lines.push("diagnosis: no findings");
  for (const f of r.diagnosis.findings) {
    lines.push(`[${f.severity}] ${f.title}`);
    lines.push(`  cause: ${f.cause}`);
    for (const e of f.evidence)
      lines.push(`  ${e.label}: ${formatMetric(e.value)}${e.unit ? ` ${e.unit}` : ""}`);
  }
  if (r.treatments.length > 0) {
    const base = r.baseline;
    const rows = [
      [
        "-",
        "no change",
        value(base.finalLoss),
        value(base.testLoss),
        base.testAcc === null ? "-" : `${(100 * base.testAcc).toFixed(1)}%`,
        "",
        "",
        value(base.initialGradRatio),
        "",
      ],
      ...r.treatments.map((t, i) => [
        t.improves ? String(i + 1) : "-",
        t.label,
        value(t.outcome.finalLoss),
        value(t.outcome.testLoss),
        t.outcome.testAcc === null ? "-" : `${(100 * t.outcome.testAcc).toFixed(1)}%`,
        t.accuracyGain === null
          ? "-"
          : `${t.accuracyGain >= 0 ? "+" : ""}${(100 * t.accuracyGain).toFixed(1)}`,
        lossGainText(t),
        value(t.outcome.initialGradRatio),
        t.remaining.join(", ") || "none",
      ]),
    ];
    lines.push(
      "",
      renderTable(
        [
          { header: "rank" },
          { header: "remedy", align: "left" },
          { header: "final loss" },
          { header: "test loss" },
          { header: "test acc" },
          { header: "acc gain (pts)" },
          { header: "test loss gain" },
          { header: "grad ratio L1/L" },
          { header: "findings left", align: "left" },
        ],
        rows,
      ),
    );
  }
  lines.push("", r.headline);
  return lines.join("\n");
}

function lossGainText(t: DoctorReport["treatments"][number]): string {
  const gain = t.lossGain;
  if (gain === Number.POSITIVE_INFINITY) return t.improves ? "rescued" : "-";
  if (gain === Number.NEGATIVE_INFINITY) return "exploded";
  return (gain >= 0 ? "+" : "") + formatMetric(gain);
}

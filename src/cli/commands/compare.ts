import { Command, Option } from "commander";
import {
  type Comparison,
  compare,
  PRESETS,
  type PresetName,
  type Variant,
  variantsFromVary,
} from "../../experiment/compare.ts";
import { resolveTrainConfig, type TrainConfig } from "../../experiment/config.ts";
import { DatasetError } from "../../experiment/datasets/errors.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { TRAIN_OPTIONS } from "../../experiment/options.ts";
import { defaultJobs, parseJobs } from "../../experiment/pool/pool.ts";
import { checkRunDirFree } from "../../experiment/train/run-dir.ts";
import { comparisonFigures } from "../../report/figures-for/comparison.ts";
import { nodeDocument } from "../../report/node.ts";
import { outcomesCsv, RunsAtEnds } from "../comparison-output.ts";
import { UsageError } from "../errors.ts";
import { columnsHelp, explain } from "../format/columns.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import { addOptionFlags, collectOptionInput } from "../option-flags.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { compareArch, comparesSequenceFamily } from "./compare-arch.ts";
import { INTERRUPTED_EXIT_CODE } from "./train.ts";
import { refuseForMlp, requestedArch, TRAIN_ARCH_FLAGS } from "./train-arch.ts";

export function compareCommand(output: Output): Command {
  const command = new Command("compare")
    .description(
      "train several configurations on the same data and seed, and lay the outcomes side by side",
    )
    .addOption(
      new Option("--preset <name>", "a ready-made comparison").choices(Object.keys(PRESETS)),
    )
    .option(
      "--vary <key=v1,v2>",
      "variants: one per value (repeat for a cartesian product), e.g. --vary activation=sigmoid,relu",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--target-loss <x>",
      "loss for 'steps to target' (default: half the first run's initial loss)",
    )
    .option(
      "--jobs <n>",
      `variants trained at once, one worker thread each (default ${defaultJobs()}: min(2, cores)); 1 trains them in this process. Results do not depend on it`,
    )
    .option("--json", "print the comparison as JSON")
    .option("--explain", "after the table, say what each column means");
  addPlotCsvOptions(
    command,
    "the gradient norm by layer of every variant",
    "the comparison table",
    {
      csvFlag: "csv-out",
    },
  );
  addOptionFlags(command, TRAIN_OPTIONS);
  addOptionFlags(command, TRAIN_ARCH_FLAGS, false);
  command.addHelpText(
    "after",
    `
Every variant trains with the same data, seed and budget; only its changes differ.
--out DIR keeps each variant's run directory under DIR (readable by 'gradscope report').
Variants train in parallel on --jobs worker threads; each is seeded by its config alone, so
the numbers are the same for any --jobs (only the timings differ).

Examples:
  gradscope compare --preset seed-story
  gradscope compare --preset seed-story --steps 300 --out runs/story
  gradscope compare --preset seed-story --jobs 1          (no worker threads)
  gradscope compare --vary activation=sigmoid,tanh,relu --depth 10 --init xavier-normal
  gradscope compare --vary init=normal,orthogonal --vary depth=10,30 --activation tanh
  gradscope compare --arch rnn --task adding --seq-len 100 --vary arch=rnn,lstm,gru
  gradscope compare --arch transformer --depth 24 --vary normPosition=post,pre,deepnorm --vary schedule=constant,warmup
${columnsHelp("compare")}`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const { input, fromFile } = collectOptionInput(TRAIN_OPTIONS, command);
    const archFlags = collectOptionInput(TRAIN_ARCH_FLAGS, command).input;
    const arch = requestedArch(archFlags.arch, fromFile);
    const vary = (opts.vary as string[] | undefined) ?? [];
    if (comparesSequenceFamily(arch, vary)) {
      await compareArch(arch, { ...fromFile, ...input, ...archFlags }, vary, opts, output);
      return;
    }
    refuseForMlp(archFlags);
    delete fromFile.arch;
    resolveTrainConfig(fromFile, "key");
    const preset = opts.preset as PresetName | undefined;
    if (!preset && vary.length === 0) {
      throw new UsageError("compare needs --preset seed-story or at least one --vary KEY=V1,V2");
    }
    const { out, ...flags } = { ...fromFile, ...input } as Record<string, unknown>;
    const base: Record<string, unknown> = { ...(preset ? PRESETS[preset].base : {}), ...flags };
    let variants: Variant[];
    try {
      variants = vary.length > 0 ? variantsFromVary(vary) : [...PRESETS[preset!].variants];
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // Validate every variant before training any (errors name the flag of the base).
    resolveTrainConfig(base, "flag");
    for (const v of variants) resolveTrainConfig({ ...base, ...v.changes }, "key");
    const outDir = typeof out === "string" ? out : undefined;
    if (outDir) checkRunDirFree(outDir);
    let target: number | undefined;
    if (opts.targetLoss !== undefined) {
      target = Number(opts.targetLoss);
      if (!Number.isFinite(target)) {
        throw new UsageError(`--target-loss must be a number (got '${String(opts.targetLoss)}')`);
      }
    }
    let jobs: number | undefined;
    if (opts.jobs !== undefined) {
      try {
        jobs = parseJobs(String(opts.jobs));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const files = plotCsvFlags(opts, "csvOut");
    const runs = new RunsAtEnds();
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const result = await compare(base as Partial<TrainConfig>, variants, {
        ...(target === undefined ? {} : { targetLoss: target }),
        ...(outDir ? { outDir } : {}),
        ...(jobs === undefined ? {} : { jobs }),
        signal: controller.signal,
        onResult: (i, run) => runs.take(variants[i]!.label, run.records, run),
        onVariant: (i, total, label, outcome) => {
          if (!outcome) output.err(`compare: [${i + 1}/${total}] ${label} ...\n`);
          else if (outcome.error !== undefined) {
            output.err(`compare: [${i + 1}/${total}] ${label}: failed: ${outcome.error}\n`);
          } else {
            output.err(
              `compare: [${i + 1}/${total}] ${label}: ${outcome.status}, final loss ${formatMetric(outcome.finalLoss ?? Number.NaN)} (${(outcome.elapsedMs / 1000).toFixed(1)} s)\n`,
            );
          }
        },
      }).catch((err: unknown) => {
        // a dataset that will not load is bad input (exit 2), as in `gradscope train`
        throw err instanceof DatasetError ? new UsageError(err.message) : err;
      });
      output.out(
        opts.json
          ? `${toJson(result, 2)}\n`
          : `${formatComparison(result)}\n${opts.explain ? explain("compare") : ""}`,
      );
      if (controller.signal.aborted) {
        const missing = result.notStarted.length;
        output.err(
          `gradscope: compare interrupted: ${missing === 0 ? "every variant had started" : `${missing} of ${variants.length} variants never started (${result.notStarted.join(", ")})`}; the ranking covers only the runs above\n`,
        );
        // as `train`: the process exits 130 after everything is written
        process.once("exit", () => {
          process.exitCode = INTERRUPTED_EXIT_CODE;
        });
      }
      await writePlotCsv(files, output, opts.json === true, {
        table: () => outcomesCsv(result.outcomes),
        figures: () =>
          comparisonFigures(runs.start, runs.end, {
            document: nodeDocument(),
            prefix: "compare-",
            subtitle: `same data, seed and budget (${String(base["steps"] ?? "default")} steps)`,
          }),
      });
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
  });
  return command;
}

const nullable = (v: number | null): string => (v === null ? "-" : formatMetric(v));

export function formatComparison(c: Comparison): string {
  const rows = c.outcomes.map((o) => [
    o.label,
    o.status,
    nullable(o.finalLoss),
    nullable(o.testLoss),
    o.testAcc === null ? "-" : `${(100 * o.testAcc).toFixed(1)}%`,
    o.stepsToTarget === null ? "never" : String(o.stepsToTarget),
    o.initialVerdict ?? "-",
    o.verdict ?? "-",
  ]);
  const table = renderTable(
    [
      { header: "configuration", align: "left" },
      { header: "status", align: "left" },
      { header: "final loss" },
      { header: "test loss" },
      { header: "test acc" },
      { header: `steps to loss ${formatMetric(c.targetLoss)}` },
      { header: "verdict (init)", align: "left" },
      { header: "verdict (run)", align: "left" },
    ],
    rows,
  );
  const lines = [
    `gradscope compare: ${c.steps} steps per run, seed ${c.seed}, ${c.kernels} kernels; same data, seed and budget; only the listed change differs`,
    "",
    table,
    "",
  ];
  lines.push(`ranking (by test loss): ${c.ranking.map((l, i) => `${i + 1}. ${l}`).join("  ")}`);
  for (const o of c.outcomes) if (o.explosion) lines.push(`${o.label}: ${o.explosion}`);
  for (const o of c.outcomes) if (o.error) lines.push(`${o.label}: failed: ${o.error}`);
  if (c.notStarted.length > 0) {
    lines.push(`never started (interrupted): ${c.notStarted.join(", ")}: not ranked`);
  }
  return lines.join("\n");
}

import { Command, Option } from "commander";
import { toJson } from "../../experiment/json-numbers.ts";
import { TRAIN_OPTIONS } from "../../experiment/options.ts";
import { defaultJobs, parseJobs } from "../../experiment/pool/pool.ts";
import {
  runSweepLocal,
  type SweepProgress,
  type SweepRunResult,
} from "../../experiment/sweep/local.ts";
import { SWEEP_PRESETS, type SweepPresetName } from "../../experiment/sweep/presets.ts";
import type { SubmitResult } from "../../experiment/sweep/queue.ts";
import { parseRedisUrl } from "../../experiment/sweep/redis-url.ts";
import {
  mergeSweeps,
  SweepDir,
  type SweepRecord,
  shardDirOf,
  shardDirs,
} from "../../experiment/sweep/results.ts";
import {
  gridFromVary,
  parseShard,
  planSweep,
  type SweepSpec,
  seedList,
  shardPoints,
  specFromJson,
} from "../../experiment/sweep/spec.ts";
import { UsageError } from "../errors.ts";
import { formatMetric } from "../format/numbers.ts";
import { addOptionFlags, collectOptionInput, readConfigFile } from "../option-flags.ts";
import type { Output } from "../output.ts";
import { INTERRUPTED_EXIT_CODE } from "./train.ts";

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** `[12/24] 50%, 3.2 points/min, ~4 min 10 s left`. */
export function progressLine(p: SweepProgress): string {
  const rate = p.doneThisRun > 0 ? (60_000 * p.doneThisRun) / p.elapsedMs : Number.NaN;
  const left = p.total - p.done;
  const eta = p.doneThisRun > 0 ? formatDuration((left / p.doneThisRun) * p.elapsedMs) : "?";
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  return `[${p.done}/${p.total}] ${pct}%, ${Number.isFinite(rate) ? rate.toFixed(1) : "?"} points/min, ${left === 0 ? "done" : `~${eta} left`}`;
}

function describeRecord(r: SweepRecord): string {
  const at = Object.entries(r.changes)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
  const m = r.metrics;
  const acc = typeof m["testAcc"] === "number" ? `, test acc ${formatMetric(m["testAcc"])}` : "";
  const loss =
    typeof m["finalLoss"] === "number" ? `, final loss ${formatMetric(m["finalLoss"])}` : "";
  const what =
    r.status === "failed"
      ? `failed: ${r.error ?? "?"}`
      : `${r.status}${loss}${acc}${r.verdict ? `, ${r.verdict}` : ""}`;
  return `${at || "base"} seed ${r.seed}: ${what}`;
}

function isSubmit(r: SweepRunResult | SubmitResult): r is SubmitResult {
  return "added" in r;
}

export function sweepCommand(output: Output): Command {
  const command = new Command("sweep")
    .description(
      "train (or probe) every point of a grid or random search over config keys, locally on --jobs workers or on a Redis queue; results in DIR/results.jsonl",
    )
    .argument("[spec]", "a JSON spec file: {mode?, base?, grid?, random?, seeds?}")
    .addOption(
      new Option("--preset <name>", "a ready-made sweep").choices(Object.keys(SWEEP_PRESETS)),
    )
    .option(
      "--vary <key=values>",
      "a swept key: KEY=V1,V2,... or KEY=FROM:TO:STEP (repeat for a grid), e.g. --vary weightVar=1:4:0.5",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--probe", "probe each point at initialization instead of training it")
    .option(
      "--seeds <k|list>",
      "seeds per point: a count from --seed (3: seeds 0,1,2) or a list 0,5,9",
    )
    .option(
      "--jobs <n>",
      `points run at once locally, one worker thread each (default ${defaultJobs()}); results do not depend on it`,
    )
    .option(
      "--queue <url>",
      "submit the points to a BullMQ queue on Redis (redis://HOST:PORT) for `gradscope worker`s",
    )
    .option(
      "--no-wait",
      "with --queue: return after submitting (run the same command again to collect)",
    )
    .option(
      "--shard <i/n>",
      "run only shard I of N (0 <= I < N; every N-th point) into DIR/shards/I-of-N",
    )
    .option("--json", "print the sweep's summary as JSON")
    .option("--quiet", "no progress on stderr")
    .addOption(
      new Option("--poll-ms <ms>", "with --queue: how often to look for finished jobs")
        .default("500")
        .hideHelp(),
    );
  addOptionFlags(command, TRAIN_OPTIONS);
  command.addHelpText(
    "after",
    `
--out DIR is the sweep directory: sweep.json (the spec) and results.jsonl, one JSON record
per point and seed: {index, hash, seed, changes, config, status, metrics, verdict, ...}.
Every other training flag applies to all points. Re-running the same sweep skips the points
already in results.jsonl; an interrupted sweep (Ctrl-C, kill) loses at most the points in
flight. A point's numbers depend on its config alone: the same for any --jobs, on the queue
with any number of workers, or sharded and merged.

Examples:
  gradscope sweep --vary weightVar=1:4:0.5 --vary depth=10:50:10 --activation tanh --init normal --steps 200 --out sweeps/tanh
  gradscope sweep spec.json --out sweeps/a --jobs 2
  gradscope sweep --preset schoenholz --out sweeps/schoenholz --queue redis://127.0.0.1:6379
  gradscope worker --queue redis://127.0.0.1:6379          (on any machine, as many as you like)
  gradscope sweep spec.json --out sweeps/a --shard $SLURM_ARRAY_TASK_ID/8
  gradscope sweep merge sweeps/a                              (joins sweeps/a/shards/*)
  gradscope report sweeps/tanh                                (the heatmap, with theory for tanh)`,
  );
  command
    .command("merge")
    .description(
      "join the shards of a sweep (DIR/shards/*, and any other sweep directories given) into DIR",
    )
    .argument("<dir>", "the sweep directory")
    .argument("[more...]", "other sweep directories of the same spec")
    .option("--json", "print {records, missing} as JSON")
    .action((dir: string, more: string[], opts: Record<string, unknown>) => {
      const sources = [...shardDirs(dir), ...(more ?? [])];
      const r = mergeSweeps(dir, sources);
      output.out(
        opts["json"]
          ? `${toJson({ dir, ...r }, 2)}\n`
          : `merged ${r.sources} sweep directories into ${dir}/results.jsonl: ${r.records} records${r.missing > 0 ? `, ${r.missing} points missing` : ", complete"}\n`,
      );
    });
  command.action(async (specPath: string | undefined, opts: Record<string, unknown>) => {
    const { input, fromFile } = collectOptionInput(TRAIN_OPTIONS, command);
    const { out, ...flags } = { ...fromFile, ...input } as Record<string, unknown>;
    if (typeof out !== "string")
      throw new UsageError("sweep needs --out DIR (the sweep directory)");
    const preset = opts["preset"] as SweepPresetName | undefined;
    if (preset && specPath) throw new UsageError("give a spec file or --preset, not both");
    let spec: SweepSpec;
    const vary = (opts["vary"] as string[] | undefined) ?? [];
    if (specPath) spec = specFromJson(readConfigFile(specPath), specPath);
    else if (preset) spec = structuredClone(SWEEP_PRESETS[preset]);
    else if (vary.length === 0)
      throw new UsageError("sweep needs a spec file, --preset or at least one --vary KEY=VALUES");
    else spec = { mode: "train", base: {}, grid: {}, seeds: [0] };
    spec.base = { ...spec.base, ...flags };
    spec.grid = { ...spec.grid, ...gridFromVary(vary) };
    if (opts["probe"]) spec.mode = "probe";
    const firstSeed = Number(spec.base["seed"] ?? 0);
    if (opts["seeds"] !== undefined) spec.seeds = seedList(String(opts["seeds"]), firstSeed);
    else if (!specPath && !preset) spec.seeds = [firstSeed];
    if (Object.keys(spec.grid).length === 0 && !spec.random) {
      throw new UsageError(
        "the sweep varies nothing: give a grid (--vary KEY=VALUES) or a random search",
      );
    }
    const plan = planSweep(spec);
    let jobs: number | undefined;
    if (opts["jobs"] !== undefined) {
      try {
        jobs = parseJobs(String(opts["jobs"]));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const shard = opts["shard"] === undefined ? null : parseShard(String(opts["shard"]));
    const queueUrl = typeof opts["queue"] === "string" ? opts["queue"] : null;
    const target = queueUrl === null ? null : parseRedisUrl(queueUrl);
    if (opts["wait"] === false && target === null) throw new UsageError("--no-wait needs --queue");
    if (target !== null && jobs !== undefined)
      throw new UsageError(
        "--jobs runs points locally: with --queue, start `gradscope worker`s instead",
      );
    const points = shardPoints(plan.points, shard);
    const dirPath = shard ? shardDirOf(out, shard) : out;
    const dir = new SweepDir(dirPath, plan, shard ?? undefined);
    const quiet = opts["quiet"] === true;
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(INTERRUPTED_EXIT_CODE);
      output.err(
        "gradscope: sweep interrupted; the points in flight are dropped (Ctrl-C again quits at once)\n",
      );
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    const onRecord = (record: SweepRecord, p: SweepProgress): void => {
      if (!quiet) output.err(`sweep: ${progressLine(p)}: ${describeRecord(record)}\n`);
    };
    const where = target
      ? `queue ${queueUrl}`
      : `${jobs ?? defaultJobs()} local job${(jobs ?? defaultJobs()) === 1 ? "" : "s"}`;
    if (!quiet) {
      const pending = points.filter((p) => !dir.has(p.hash)).length;
      output.err(
        `sweep: ${points.length} points${shard ? ` (shard ${shard.index}/${shard.count} of ${plan.points.length})` : ""}, ${points.length - pending} done already, ${pending} to run on ${where}; results in ${dirPath}/results.jsonl\n`,
      );
    }
    let result: SweepRunResult | SubmitResult;
    try {
      result =
        target === null
          ? await runSweepLocal(plan, points, dir, {
              ...(jobs === undefined ? {} : { jobs }),
              signal: controller.signal,
              onRecord,
            })
          : await (await import("../../experiment/sweep/queue.ts")).submitSweep(
              plan,
              points,
              dir,
              target,
              {
                wait: opts["wait"] !== false,
                signal: controller.signal,
                pollMs: Number(opts["pollMs"]),
                onRecord,
                onSubmitted: (added, queued) => {
                  if (!quiet)
                    output.err(
                      `sweep: submitted ${added} jobs (${queued} were in the queue already)\n`,
                    );
                },
              },
            );
    } finally {
      process.removeListener("SIGINT", onSigint);
      dir.close();
    }
    const rate = result.ran > 0 ? (60_000 * result.ran) / result.elapsedMs : 0;
    const summary = {
      dir: dirPath,
      points: result.total,
      skipped: result.skipped,
      ran: result.ran,
      failed: result.failed,
      remaining: result.remaining,
      elapsedMs: Math.round(result.elapsedMs),
      pointsPerMinute: Number(rate.toFixed(2)),
      ...(isSubmit(result) ? { submitted: result.added, alreadyQueued: result.alreadyQueued } : {}),
    };
    if (opts["json"]) output.out(`${toJson(summary, 2)}\n`);
    else {
      const submitted =
        opts["wait"] === false && isSubmit(result)
          ? `submitted ${result.added} jobs (${result.alreadyQueued} already queued); run the same command without --no-wait to collect them. `
          : "";
      output.out(
        `gradscope sweep: ${submitted}${result.total} points: ${result.skipped} done before, ${result.ran} ran (${result.failed} failed), ${result.remaining} left; ${formatDuration(result.elapsedMs)}${result.ran > 0 ? `, ${rate.toFixed(1)} points/min` : ""}; results in ${dirPath}/results.jsonl\n`,
      );
    }
    if (controller.signal.aborted) {
      process.once("exit", () => {
        process.exitCode = INTERRUPTED_EXIT_CODE;
      });
    }
  });
  return command;
}

const METRIC_LABELS: Readonly<Record<string, string>> = {
  testAcc: "test accuracy",
  trainAcc: "training accuracy",
  finalLoss: "final training loss",
  testLoss: "test loss",
  perLayerFactor: "measured per-layer gradient factor",
};

const AXIS_LABELS: Readonly<Record<string, string>> = {
  weightVar: "weight variance σ_w²",
  biasVar: "bias variance σ_b²",
  depth: "depth L (hidden layers)",
  width: "width",
  lr: "learning rate",
};

export interface SweepReport {
  figure: { svg: string; png: string };
  metric: string;
  xKey: string;
  yKey: string;
  cells: number;
  records: number;
  theory: {
    activation: string;
    biasVar: number;
    criticalWeightVar: number;
    k: number;
    paperK: number;
    misclassified: number;
    judged: number;
    threshold: number;
  } | null;
}

/**
 * `gradscope report SWEEP_DIR`: the heatmap of the sweep's metric over its two swept axes
 * (DIR/figures/sweep-heatmap.svg|png) and, over weight variance x depth, the theory: the
 * critical line, k * xi_c with the fitted k and the paper's 6 xi_c.
 */
export async function writeSweepReport(
  dir: string,
  options: { metric?: string } = {},
): Promise<SweepReport> {
  const { readResults, readSweepFile } = await import("../../experiment/sweep/results.ts");
  const { sweepMap, sweepTheory, xiCCurve } = await import("../../experiment/sweep/analysis.ts");
  const { sweepHeatmap } = await import("../../report/figures/sweep-heatmap.ts");
  const { nodeDocument } = await import("../../report/node-dom.ts");
  const { renderFigureFiles } = await import("../../report/render-node.ts");
  const file = readSweepFile(dir);
  const records = [...readResults(dir).records.values()];
  if (records.length === 0) throw new UsageError(`report: ${dir} holds no sweep results yet`);
  const axes = file?.axes ?? Object.keys(records[0]!.changes);
  let map: ReturnType<typeof sweepMap>;
  try {
    map = sweepMap(records, axes, options.metric ? { metric: options.metric } : {});
  } catch (err) {
    throw new UsageError(`report: ${(err as Error).message}`);
  }
  const config = records[0]!.config as unknown as Record<string, unknown>;
  const theory = sweepTheory(map, {
    activation: String(config["activation"]),
    biasVar: Number(config["biasVar"]),
    classes: (config["classes"] as number | null) ?? null,
  });
  const curves: { label: string; dashed?: boolean; points: { x: number; y: number }[] }[] = [];
  if (theory) {
    const xs = map.xs;
    const fine = xiCCurve(theory.activation, theory.biasVar, xs[0]!, xs[xs.length - 1]!);
    curves.push({
      label: `${formatMetric(theory.k)} ξ_c (fitted)`,
      points: fine.map((p) => ({ x: p.weightVar, y: theory.k * p.xiC })),
    });
    curves.push({
      label: "6 ξ_c (Schoenholz et al.)",
      dashed: true,
      points: fine.map((p) => ({ x: p.weightVar, y: 6 * p.xiC })),
    });
  }
  const lowerIsBetter = !map.metric.endsWith("Acc") && map.metric !== "perLayerFactor";
  const svg = sweepHeatmap(
    {
      xLabel: AXIS_LABELS[map.xKey] ?? map.xKey,
      yLabel: AXIS_LABELS[map.yKey] ?? map.yKey,
      metricLabel: METRIC_LABELS[map.metric] ?? map.metric,
      lowerIsBetter,
      cells: map.cells.map((c) => ({ x: c.x, y: c.y, value: c.value })),
      ...(theory ? { criticalX: theory.criticalWeightVar, curves } : {}),
    },
    {
      document: nodeDocument(),
      subtitle: `${records.length} runs${map.averagedOver.length > 0 ? `, averaged over ${map.averagedOver.join(", ")}` : ""}; ${String(config["activation"])}, ${String(config["dataset"] ?? "")}${theory ? `; trainable where depth < k ξ_c: fitted k = ${formatMetric(theory.k)} (${theory.misclassified} of ${theory.judged} cells off)` : ""}`,
    },
  );
  const { join } = await import("node:path");
  const figure = await renderFigureFiles(svg, join(dir, "figures"), "sweep-heatmap");
  return {
    figure,
    metric: map.metric,
    xKey: map.xKey,
    yKey: map.yKey,
    cells: map.cells.length,
    records: records.length,
    theory: theory
      ? {
          activation: theory.activation,
          biasVar: theory.biasVar,
          criticalWeightVar: theory.criticalWeightVar,
          k: theory.k,
          paperK: 6,
          misclassified: theory.misclassified,
          judged: theory.judged,
          threshold: theory.threshold,
        }
      : null,
  };
}

export function formatSweepReport(r: SweepReport): string {
  const lines = [
    `sweep report: ${METRIC_LABELS[r.metric] ?? r.metric} over ${r.xKey} x ${r.yKey} (${r.cells} cells, ${r.records} runs)`,
  ];
  if (r.theory) {
    const t = r.theory;
    lines.push(
      `theory (${t.activation}, σ_b² = ${t.biasVar}): critical σ_w² = ${formatMetric(t.criticalWeightVar)}; trainable where depth < k ξ_c with fitted k = ${formatMetric(t.k)} (Schoenholz et al.: ~${t.paperK}); ${t.misclassified} of ${t.judged} cells on the wrong side (trained: ${METRIC_LABELS[r.metric] ?? r.metric} past ${formatMetric(t.threshold)})`,
    );
  }
  lines.push(`wrote ${r.figure.svg}`, `wrote ${r.figure.png}`);
  return lines.join("\n");
}

import type { ArchName } from "../../experiment/arch-options.ts";
import { variantsFromVary } from "../../experiment/compare.ts";
import { ConfigError } from "../../experiment/config.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import {
  compareSequenceRuns,
  type SequenceComparison,
  sequenceVariantConfigs,
} from "../../experiment/sequence-train/compare.ts";
import { checkRunDirFree } from "../../experiment/train/run-dir.ts";
import { UsageError } from "../errors.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import type { Output } from "../output.ts";

/** Whether a compare asks for recurrent nets or transformers (by --arch, its config, or --vary arch=). */
export function comparesSequenceFamily(arch: ArchName, vary: readonly string[]): boolean {
  if (arch !== "mlp") return true;
  return vary.some(
    (v) =>
      v.startsWith("arch=") &&
      v
        .slice(5)
        .split(",")
        .some((a) => a !== "mlp"),
  );
}

/**
 * `gradscope compare` for recurrent nets and transformers: variants from --vary (arch=rnn,lstm,gru
 * is one of them) on the base of the flags and config file, trained one after another on the
 * same task, seed and budget; the table and ranking as the MLP's compare.
 */
export async function compareArch(
  arch: ArchName,
  base: Readonly<Record<string, unknown>>,
  vary: readonly string[],
  opts: Readonly<Record<string, unknown>>,
  output: Output,
): Promise<void> {
  for (const flag of ["preset", "jobs", "plot", "csvOut", "targetLoss"] as const) {
    if (opts[flag] !== undefined) {
      throw new UsageError(
        `--${flag === "csvOut" ? "csv-out" : flag === "targetLoss" ? "target-loss" : flag} is not available when comparing recurrent nets or transformers yet`,
      );
    }
  }
  if (vary.length === 0) throw new UsageError("compare --arch needs at least one --vary KEY=V1,V2");
  let variants: ReturnType<typeof variantsFromVary>;
  try {
    variants = variantsFromVary(vary);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { out, ...rest } = base as Record<string, unknown>;
  const configs = sequenceVariantConfigs(arch, rest, variants);
  const outDir = typeof out === "string" ? out : undefined;
  if (outDir) checkRunDirFree(outDir);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  let result: SequenceComparison;
  try {
    result = await compareSequenceRuns(variants, configs, {
      ...(outDir ? { outDir } : {}),
      signal: controller.signal,
      onVariant: (i, total, label, o) => {
        if (!o) output.err(`compare: [${i + 1}/${total}] ${label} ...\n`);
        else {
          output.err(
            `compare: [${i + 1}/${total}] ${label}: ${o.status}, test loss ${formatMetric(o.testLoss ?? Number.NaN)} (${(o.elapsedMs / 1000).toFixed(1)} s)\n`,
          );
        }
      },
    });
  } catch (err) {
    throw err instanceof ConfigError ? new UsageError(err.message) : err;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  output.out(opts.json ? `${toJson(result, 2)}\n` : `${formatSequenceComparison(result)}\n`);
  if (controller.signal.aborted) {
    output.err(
      `gradscope: compare interrupted${result.notStarted.length > 0 ? `: never started: ${result.notStarted.join(", ")}` : ""}\n`,
    );
    process.once("exit", () => {
      process.exitCode = 130;
    });
  }
}

const nullable = (v: number | null): string => (v === null ? "-" : formatMetric(v));

export function formatSequenceComparison(c: SequenceComparison): string {
  const rows = c.outcomes.map((o) => [
    o.label,
    o.status,
    nullable(o.finalLoss),
    nullable(o.testLoss),
    o.testAcc === null ? "-" : `${(100 * o.testAcc).toFixed(1)}%`,
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
      { header: "verdict (init)", align: "left" },
      { header: "verdict (run)", align: "left" },
    ],
    rows,
  );
  const task = c.task;
  const lines = [
    `gradscope compare: ${task ? task.description : "no variant ran"}; ${c.steps} steps per run, seed ${c.seed}; same task, seed and budget; only the listed change differs`,
    "",
    table,
    "",
    `ranking (by test loss): ${c.ranking.map((l, i) => `${i + 1}. ${l}`).join("  ")}`,
  ];
  for (const o of c.outcomes) if (o.explosion) lines.push(`${o.label}: ${o.explosion}`);
  for (const o of c.outcomes) if (o.runDir) lines.push(`${o.label}: ${o.runDir}`);
  if (c.notStarted.length > 0)
    lines.push(`never started (interrupted): ${c.notStarted.join(", ")}`);
  return lines.join("\n");
}

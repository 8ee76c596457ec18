import { statSync } from "node:fs";
import { Command } from "commander";
import type { TrainConfig } from "../../experiment/config.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import {
  diagnoseRunContents,
  type ImportedRunConfig,
  isImportedConfig,
} from "../../experiment/run-diagnosis.ts";
import { readSequenceRun } from "../../experiment/sequence-train/read.ts";
import { readRunDir } from "../../experiment/train/run-dir.ts";
import { UsageError } from "../errors.ts";
import { formatFindings, formatNotMeasurable } from "../format/findings.ts";
import type { Output } from "../output.ts";
import { diagnoseSequenceRun } from "./diagnose-arch.ts";

export function diagnoseCommand(output: Output): Command {
  const command = new Command("diagnose")
    .description(
      "the verdict and diagnosis of a run directory: one written by gradscope train, or imported from your own model (python/gradscope_hook.py)",
    )
    .argument("<run_dir>", "a run directory (config.json, metrics.jsonl, summary.json)")
    .option("--json", "print {runDir, source, verdict, verdictMessage, diagnosis} as JSON");
  command.addHelpText(
    "after",
    `
The run is judged from every recorded step with the same rules as train, report and the lab
(docs/METRICS.md, "The verdict"). A rule that needs a quantity the run did not record is listed
as not measurable here instead of passing silently. An imported run gets no mean-field claims:
gradscope did not set its weights.

Exit status: 0 when diagnosed, 2 when RUN_DIR is missing or holds no readable config.json.

Examples:
  gradscope train --depth 20 --activation sigmoid --init standard-uniform --out runs/sigmoid
  gradscope diagnose runs/sigmoid
  gradscope diagnose runs/my-torch-model --json`,
  );
  command.action((dir: string, opts: Record<string, unknown>) => {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new UsageError(`diagnose: ${dir} does not exist`);
    }
    if (!isDir) throw new UsageError(`diagnose: ${dir} is not a directory`);
    let run: ReturnType<typeof readRunDir>;
    try {
      run = readRunDir(dir);
    } catch (err) {
      throw new UsageError(`diagnose: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (run.config === null) throw new UsageError(`diagnose: ${dir} has no config.json`);
    const sequence = readSequenceRun(dir); // a run of train --arch rnn|lstm|gru|transformer
    if (sequence) {
      diagnoseSequenceRun(dir, sequence, opts["json"] === true, output);
      return;
    }
    const config = run.config as unknown as TrainConfig | ImportedRunConfig;
    const { source, diagnosis } = diagnoseRunContents(config, run.records, run.summary);
    if (opts["json"] === true) {
      output.out(
        `${toJson({ runDir: dir, source, verdict: diagnosis.verdict, verdictMessage: diagnosis.verdictMessage, diagnosis }, 2)}\n`,
      );
      return;
    }
    const steps = run.records.map((r) => r.step);
    const origin = isImportedConfig(config)
      ? `imported from ${config.source}${config.name ? ` (${config.name})` : ""}, ${config.modules.length} modules`
      : `gradscope train, depth ${config.depth}, ${config.activation}, init ${config.init}`;
    const lines = [
      `gradscope diagnose: ${dir}: ${origin}`,
      `  ${steps.length} recorded steps${steps.length > 0 ? ` (${steps[0]}..${steps[steps.length - 1]})` : ""}, status ${run.summary?.status ?? "unknown"}`,
      "",
      `verdict: ${diagnosis.verdictMessage}`,
      "",
      ...formatFindings(diagnosis),
    ];
    lines.push(...formatNotMeasurable(diagnosis));
    output.out(`${lines.join("\n")}\n`);
  });
  return command;
}

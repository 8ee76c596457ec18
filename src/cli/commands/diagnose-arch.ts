import { toJson } from "../../experiment/json-numbers.ts";
import { recurrentRemedies } from "../../experiment/recurrent/remedies.ts";
import type { SequenceRunData } from "../../experiment/sequence-train/read.ts";
import { recurrentTrainConfig } from "../../experiment/sequence-train/recurrent-model.ts";
import { isTransformerRun } from "../../experiment/sequence-train/types.ts";
import { judgeSequenceRun } from "../../experiment/sequence-train/verdict.ts";
import type { Output } from "../output.ts";
import { describeSequenceRun } from "./train-arch.ts";

/**
 * What the diagnosis can and cannot say of a recurrent or transformer run. Its rules read an
 * MLP's hidden layers; here only the verdict (judgeRun over time steps or blocks) is judged,
 * and every other rule is listed with the reason, never silently passed.
 */
function unjudged(transformer: boolean): { id: string; why: string }[] {
  const common = [
    { id: "unstable-updates", why: "not measurable here: the run has no updateRatio" },
    {
      id: "loss-plateau",
      why: "not judged here: the loss is recorded, but the rule is written for an MLP's runs",
    },
  ];
  return transformer
    ? [
        { id: "saturation", why: "not measurable here: the run has no saturated" },
        {
          id: "dead-units",
          why: "not judged here: blocks record ffn.dead, but the rule reads an MLP's hidden layers",
        },
        ...common,
      ]
    : [
        { id: "dead-units", why: "not measurable here: the run has no dead, inactive" },
        {
          id: "saturation",
          why: "not judged here: time steps record saturated, but the rule reads an MLP's hidden layers",
        },
        ...common,
      ];
}

/** `gradscope diagnose RUN_DIR` on a run of `train --arch`. */
export function diagnoseSequenceRun(
  dir: string,
  run: SequenceRunData,
  json: boolean,
  output: Output,
): void {
  const { config, records, summary } = run;
  const judgment = judgeSequenceRun(records, config.dtype, summary?.explosion ?? null);
  const transformer = isTransformerRun(config);
  const remedies =
    !transformer && judgment.verdict !== "healthy"
      ? recurrentRemedies(recurrentTrainConfig(config), judgment.verdict)
      : [];
  const notJudged = unjudged(transformer);
  if (json) {
    output.out(
      `${toJson(
        {
          runDir: dir,
          source: "gradscope",
          arch: config.arch,
          verdict: judgment.verdict,
          verdictMessage: judgment.message,
          initial: judgment.initial?.message ?? null,
          final: judgment.final?.message ?? null,
          notJudged,
          remedies,
        },
        2,
      )}\n`,
    );
    return;
  }
  const steps = records.map((r) => r.step);
  const [net, budget] = describeSequenceRun(config);
  const lines = [
    `gradscope diagnose: ${dir}: gradscope train --arch ${config.arch}, ${config.task}, T = ${config.seqLen}; ${net}`,
    `  ${budget}`,
    `  ${steps.length} recorded steps${steps.length > 0 ? ` (${steps[0]}..${steps[steps.length - 1]})` : ""}, status ${summary?.status ?? "unknown"}`,
    "",
    `verdict: ${judgment.message}`,
  ];
  if (judgment.initial) lines.push(`  first recorded step: ${judgment.initial.message}`);
  if (judgment.final && judgment.finalStep !== null) {
    lines.push(`  last finite step (${judgment.finalStep}): ${judgment.final.message}`);
  }
  if (remedies.length > 0) {
    lines.push(
      "",
      "remedies for a recurrent net (untested here; try them with gradscope compare):",
    );
    for (const r of remedies) lines.push(`  - ${r.label} (${r.reference}): ${r.why}`);
  }
  lines.push("");
  for (const n of notJudged)
    lines.push(`  ${n.why.split(":")[0]}: ${n.id} (${n.why.split(": ")[1]})`);
  output.out(`${lines.join("\n")}\n`);
}

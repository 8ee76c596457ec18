import { Command, Option } from "commander";
import { ACTIVATION_NAMES, type ActivationName, getActivation } from "../../core/activations.ts";
import { parseOptionValue } from "../../experiment/config.ts";
import { phaseDiagramCsv, theoryReportCsv } from "../../experiment/csv-export.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import type { NumberOption } from "../../experiment/options.ts";
import { phaseDiagramFigures } from "../../report/figures-for/index.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { criticalWeightVar, phaseDiagram, theoryReport } from "../../theory/mean-field.ts";
import { UsageError } from "../errors.ts";
import { columnsHelp, explain } from "../format/columns.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";

function numberFlag(flag: string, raw: unknown, min: number, max: number): number {
  const spec: NumberOption = {
    key: flag,
    flag,
    kind: "number",
    default: 0,
    min,
    max,
    description: "",
  };
  return parseOptionValue(spec, raw, "flag") as number;
}

/** Evenly spaced grid "lo:hi:count" (e.g. "0.5:4:36"). */
function parseGrid(flag: string, raw: string): number[] {
  const parts = raw.split(":").map(Number);
  const [lo, hi, count] = parts;
  if (
    parts.length !== 3 ||
    !parts.every(Number.isFinite) ||
    lo! < 0 ||
    hi! <= lo! ||
    !Number.isInteger(count) ||
    count! < 2 ||
    count! > 400
  ) {
    throw new UsageError(
      `--${flag} must be LO:HI:COUNT with 0 <= LO < HI and 2 <= COUNT <= 400 (got '${raw}')`,
    );
  }
  return Array.from({ length: count! }, (_, i) => lo! + ((hi! - lo!) * i) / (count! - 1));
}

export function theoryCommand(output: Output): Command {
  const command = new Command("theory")
    .description(
      "mean-field predictions: fixed point q*, chi1, phase, depth scales, critical weight variance",
    )
    .addOption(
      new Option("--activation <name>", "activation phi")
        .choices([...ACTIVATION_NAMES])
        .default("tanh"),
    )
    .option("--weight-var <s>", "sigma_w^2 (weights ~ N(0, s / fan_in))", "1")
    .option("--bias-var <t>", "sigma_b^2 (biases ~ N(0, t))", "0")
    .option("--slope <a>", "negative slope of leaky-relu", "0.01")
    .option("--critical", "also find the critical weight variance for this bias variance")
    .option(
      "--phase-diagram",
      "print the (weight var, bias var) grid of chi1 and the critical line",
    )
    .option("--weight-vars <grid>", "phase-diagram weight variances LO:HI:COUNT", "0.25:4:16")
    .option("--bias-vars <grid>", "phase-diagram bias variances LO:HI:COUNT", "0:0.5:6")
    .option("--json", "print JSON")
    .option("--explain", "after the table, say what each quantity means");
  addPlotCsvOptions(
    command,
    "the phase diagram (over --weight-vars x --bias-vars, finer by default) with this (weight var, bias var) marked",
    "the phase-diagram grid (with --phase-diagram) or this report as one row",
  );
  command.addHelpText(
    "after",
    `
Examples:
  gradscope theory --activation tanh --weight-var 1.5 --bias-var 0.05
  gradscope theory --activation relu --weight-var 2 --json
  gradscope theory --activation tanh --bias-var 0.1 --critical
  gradscope theory --activation tanh --phase-diagram --json
${columnsHelp("theory")}`,
  );
  command.action(async (opts: Record<string, string | boolean | undefined>) => {
    const files = plotCsvFlags(opts);
    const name = opts.activation as ActivationName;
    const slope = numberFlag("slope", opts.slope, 0, 1e3);
    const activation = getActivation(name, { slope });
    const weightVar = numberFlag("weight-var", opts.weightVar, 0, 1e6);
    const biasVar = numberFlag("bias-var", opts.biasVar, 0, 1e6);
    // --plot draws the grid given, or a finer one than the printed table's default.
    const plotGrid = (key: "weightVars" | "biasVars", flag: string, fine: string) =>
      parseGrid(flag, command.getOptionValueSource(key) === "default" ? fine : String(opts[key]));
    const plotFigures = () =>
      phaseDiagramFigures(
        phaseDiagram(
          activation,
          plotGrid("weightVars", "weight-vars", "0.25:4:46"),
          plotGrid("biasVars", "bias-vars", "0:0.5:26"),
        ),
        { weightVar, biasVar },
        { document: nodeDocument() },
      );
    if (opts.phaseDiagram) {
      const diagram = phaseDiagram(
        activation,
        parseGrid("weight-vars", String(opts.weightVars)),
        parseGrid("bias-vars", String(opts.biasVars)),
      );
      if (opts.json) output.out(`${toJson(diagram, 2)}\n`);
      else output.out(`${formatPhaseDiagram(diagram)}\n`);
      await writePlotCsv(files, output, opts.json === true, {
        table: () => phaseDiagramCsv(diagram),
        figures: plotFigures,
      });
      return;
    }
    const report = theoryReport(activation, weightVar, biasVar);
    const critical = opts.critical ? criticalWeightVar(activation, biasVar) : undefined;
    const writeFiles = () =>
      writePlotCsv(files, output, opts.json === true, {
        table: () => theoryReportCsv(report, critical),
        figures: plotFigures,
      });
    if (opts.json) {
      output.out(
        `${toJson(critical === undefined ? report : { ...report, criticalWeightVar: critical }, 2)}\n`,
      );
      await writeFiles();
      return;
    }
    const rows: [string, string][] = [
      ["fixed point q*", formatMetric(report.qStar)],
      ["chi1 (gradient factor per layer)", formatMetric(report.chi1)],
      ["phase", report.phase],
      ["chi_q (slope of the length map)", formatMetric(report.chiQ)],
      ["c* (correlation fixed point)", formatMetric(report.cStar)],
      ["chi_c", formatMetric(report.chiC)],
      ["depth scale xi_q", formatMetric(report.depthScales.xiQ)],
      ["depth scale xi_c", formatMetric(report.depthScales.xiC)],
      ["depth scale xi_grad", formatMetric(report.depthScales.xiGrad)],
    ];
    if (critical !== undefined)
      rows.push([`critical weight var at bias var ${biasVar}`, formatMetric(critical)]);
    const head = `gradscope theory: ${name}${name === "leaky-relu" ? `(${slope})` : ""}, weight var ${weightVar}, bias var ${biasVar}`;
    const lines = [
      head,
      "",
      renderTable([{ header: "quantity", align: "left" }, { header: "value" }], rows),
    ];
    if (!report.converged) lines.push("", `note: ${report.reason}`);
    lines.push("", explainPhase(report.phase, report.chi1, report.depthScales.xiGrad));
    output.out(`${lines.join("\n")}\n${opts.explain ? explain("theory") : ""}`);
    await writeFiles();
  });
  return command;
}

function explainPhase(phase: string, chi1: number, xiGrad: number): string {
  if (phase === "ordered") {
    return `ordered: gradients shrink by ${formatMetric(chi1)} per layer going toward the input (vanishing over ~${formatMetric(xiGrad)} layers)`;
  }
  if (phase === "chaotic") {
    return `chaotic: gradients grow by ${formatMetric(chi1)} per layer going toward the input (exploding)`;
  }
  return "critical: chi1 = 1, gradients keep their size through depth (edge of chaos)";
}

function formatPhaseDiagram(d: ReturnType<typeof phaseDiagram>): string {
  const header = ["bias var \\ weight var", ...d.weightVars.map((w) => formatMetric(w))];
  const rows = d.biasVars.map((b, i) => [
    formatMetric(b),
    ...d.weightVars.map((_, j) => formatMetric(d.points[i * d.weightVars.length + j]!.chi1)),
  ]);
  const crit = d.criticalLine.map(
    (p) => `  bias var ${formatMetric(p.biasVar)}: weight var ${formatMetric(p.weightVar)}`,
  );
  return [
    `gradscope theory: chi1 over (weight var, bias var) for ${d.activation}`,
    "",
    renderTable(
      header.map((h, i) => ({ header: h, align: i === 0 ? "left" : "right" })),
      rows,
    ),
    "",
    "critical line (chi1 = 1):",
    ...(crit.length > 0 ? crit : ["  none in this range"]),
  ].join("\n");
}

import { Command } from "commander";
import { ACTIVATION_NAMES } from "../../core/activations.ts";
import { INIT_NAMES } from "../../core/init.ts";
import { estimateCost, jacobianFlops } from "../../experiment/cost.ts";
import { singularValuesCsv } from "../../experiment/csv-export.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { jacobianFigures } from "../../report/figures-for/index.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { type JacobianSpectrum, jacobianSpectrum } from "../../theory/jacobian/jacobian.ts";
import { gateCost } from "../cost-gate.ts";
import { formatMetric, formatPercent } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { parseChoiceFlag, parseNumberFlag } from "./demo.ts";

/** Widest network accepted: J and two scratch matrices of width^2 doubles, O(depth width^3). */
const MAX_WIDTH = 4096;

/** Condition number at or below which the spectrum counts as near isometry. */
const ISOMETRY_CONDITION = 10;

export function jacobianCommand(output: Output): Command {
  const command = new Command("jacobian")
    .description(
      "singular values of the input-output Jacobian J = D_L W_L ... D_1 W_1 of a network at initialization (dynamical isometry)",
    )
    .option("--activation <name>", `activation phi (${ACTIVATION_NAMES.join(", ")})`, "tanh")
    .option("--init <name>", `weight initialization (${INIT_NAMES.join(", ")})`, "orthogonal")
    .option("--depth <n>", "number of layers L", "20")
    .option("--width <n>", `units per layer (at most ${MAX_WIDTH})`, "256")
    .option(
      "--weight-var <s>",
      "sigma_w^2 (normal/uniform variance s/fan_in, orthogonal gain sqrt(s))",
      "1",
    )
    .option("--bias-var <t>", "sigma_b^2: biases ~ N(0, t)", "0")
    .option("--gain <g>", "multiplies the weights of any init", "1")
    .option("--slope <a>", "negative slope of leaky-relu (also used by he-* init)", "0.01")
    .option("--input-scale <s>", "the input is x ~ N(0, s^2 I)", "1")
    .option("--seed <n>", "random seed (weights, input)", "0")
    .option("--force", "run even when the cost estimate is over 10 minutes")
    .option(
      "--json",
      "print {options, singularValues, meanSq, varSq, max, min, conditionNumber, ...}",
    );
  addPlotCsvOptions(command, "the singular value histogram", "the singular values");
  command.addHelpText(
    "after",
    `
Examples:
  gradscope jacobian --activation tanh --init orthogonal --depth 20 --width 256
  gradscope jacobian --activation tanh --init orthogonal --input-scale 0.1     (near isometry)
  gradscope jacobian --activation relu --init orthogonal --weight-var 2        (ReLU: no isometry)
  gradscope jacobian --activation identity --init normal --depth 8 --width 400 --json
The network and input match \`gradscope probe\` with the same seed (J at its first example).
Time grows as depth * width^3: width 1000 takes seconds per layer.`,
  );
  command.action(async (opts: Record<string, string | boolean | undefined>) => {
    const files = plotCsvFlags(opts);
    const options = {
      activation: parseChoiceFlag("--activation", opts.activation, ACTIVATION_NAMES),
      init: parseChoiceFlag("--init", opts.init, INIT_NAMES),
      depth: parseNumberFlag("--depth", opts.depth, { min: 1, max: 10_000, integer: true }),
      width: parseNumberFlag("--width", opts.width, { min: 1, max: MAX_WIDTH, integer: true }),
      weightVar: parseNumberFlag("--weight-var", opts.weightVar, { min: 0, max: 1e6 }),
      biasVar: parseNumberFlag("--bias-var", opts.biasVar, { min: 0, max: 1e6 }),
      gain: parseNumberFlag("--gain", opts.gain, { min: -1e6, max: 1e6 }),
      slope: parseNumberFlag("--slope", opts.slope, { min: 0, max: 1000 }),
      inputScale: parseNumberFlag("--input-scale", opts.inputScale, { min: 0, max: 1e6 }),
      seed: parseNumberFlag("--seed", opts.seed, { min: 0, max: 4_294_967_295, integer: true }),
    };
    const progress = gateCost(
      `jacobian --depth ${options.depth} --width ${options.width}`,
      estimateCost(jacobianFlops(options.depth, options.width, options.init === "orthogonal")),
      { force: opts.force === true, reduce: "reduce --depth or --width", unit: "layer" },
      output,
    );
    const spectrum = jacobianSpectrum(options, progress ?? undefined);
    output.out(opts.json ? `${toJson(spectrum, 2)}\n` : `${formatJacobian(spectrum)}\n`);
    await writePlotCsv(files, output, opts.json === true, {
      table: () => singularValuesCsv(spectrum),
      figures: () => jacobianFigures(spectrum, { document: nodeDocument() }),
    });
  });
  return command;
}

/** The value at quantile p of a descending list (p = 1: the largest). */
function quantile(descending: readonly number[], p: number): number {
  const n = descending.length;
  return descending[Math.min(n - 1, Math.max(0, Math.round((1 - p) * (n - 1))))]!;
}

export function formatJacobian(s: JacobianSpectrum): string {
  const o = s.options;
  const n = s.singularValues.length;
  const act = o.activation === "leaky-relu" ? `leaky-relu(${o.slope})` : o.activation;
  const header = [
    act,
    `init ${o.init}${o.weightVar !== 1 ? ` (weight var ${o.weightVar})` : ""}`,
    o.biasVar > 0 ? `bias var ${o.biasVar}` : "",
    o.gain !== 1 ? `gain ${o.gain}` : "",
    `depth ${o.depth}`,
    `width ${o.width}`,
    `x ~ N(0, ${o.inputScale}^2 I)`,
    `seed ${o.seed}`,
  ]
    .filter(Boolean)
    .join(", ");
  const quantiles = renderTable(
    [{ header: "quantile", align: "left" }, { header: "sigma" }, { header: "sigma^2" }],
    (
      [
        ["max", 1],
        ["90%", 0.9],
        ["median", 0.5],
        ["10%", 0.1],
        ["min", 0],
      ] as const
    ).map(([label, p]) => {
      const v = quantile(s.singularValues, p);
      return [label, formatMetric(v), formatMetric(v * v)];
    }),
  );
  return [
    `gradscope jacobian: ${header}`,
    `singular values of J = D_L W_L ... D_1 W_1 (${n} of them):`,
    "",
    quantiles,
    "",
    `mean sigma^2 ${formatMetric(s.meanSq)} (1 preserves the gradient norm on average), variance of sigma^2 ${formatMetric(s.varSq)} (0 at isometry)`,
    `condition number ${formatMetric(s.conditionNumber)}, numerical rank ${s.numericalRank}/${n}, phi' = 0 for ${formatPercent(s.inactiveFraction)} of units`,
    "",
    "log10 sigma histogram:",
    histogram(s),
    "",
    `verdict: ${verdict(s)}`,
  ].join("\n");
}

/** One row per decade of sigma, plus a row for numerically zero values. */
function histogram(s: JacobianSpectrum): string {
  const positive = s.singularValues.filter((v) => v > s.rankTolerance);
  const zeros = s.singularValues.length - positive.length;
  const rows: string[][] = [];
  if (positive.length > 0) {
    const top = Math.ceil(Math.log10(s.max) + 1e-12);
    const bottom = Math.floor(Math.log10(Math.min(...positive)));
    const counts = new Array<number>(Math.max(1, top - bottom)).fill(0);
    for (const v of positive) {
      const bin = Math.min(counts.length - 1, Math.max(0, Math.floor(Math.log10(v)) - bottom));
      counts[bin] = counts[bin]! + 1;
    }
    const most = Math.max(...counts);
    for (let b = counts.length - 1; b >= 0; b--) {
      const c = counts[b]!;
      rows.push([
        `1e${bottom + b}..1e${bottom + b + 1}`,
        String(c),
        "#".repeat(Math.round((30 * c) / most)),
      ]);
    }
  }
  if (zeros > 0) rows.push(["numerically 0", String(zeros), ""]);
  return renderTable(
    [{ header: "sigma", align: "left" }, { header: "count" }, { header: "", align: "left" }],
    rows,
  );
}

function verdict(s: JacobianSpectrum): string {
  const n = s.singularValues.length;
  if (s.numericalRank < n) {
    const why =
      s.inactiveFraction > 0
        ? `${formatPercent(s.inactiveFraction)} of the phi' are exactly 0, so D zeroes directions no weight matrix can restore`
        : "the product collapsed directions below float64 resolution";
    return `numerically singular (${n - s.numericalRank} of ${n} singular values ~0): ${why}; no dynamical isometry`;
  }
  const spread = `condition number ${formatMetric(s.conditionNumber)}`;
  const mean =
    s.meanSq < 0.5
      ? ", but gradients shrink on average (mean sigma^2 < 1/2)"
      : s.meanSq > 2
        ? ", but gradients grow on average (mean sigma^2 > 2)"
        : "";
  return s.conditionNumber <= ISOMETRY_CONDITION
    ? `near dynamical isometry (${spread})${mean}`
    : `ill-conditioned (${spread}): some input directions pass ${formatMetric(s.conditionNumber)} times more gradient than others${mean}`;
}

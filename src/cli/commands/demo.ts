import { Command } from "commander";
import { ACTIVATION_NAMES } from "../../core/activations.ts";
import { networkShape, resolveProbeConfig } from "../../experiment/config.ts";
import { depthSweepFlops, estimateCost } from "../../experiment/cost.ts";
import {
  activationPointsCsv,
  activationSummaryCsv,
  depthSweepCsv,
  matrixPowerCsv,
} from "../../experiment/csv-export.ts";
import {
  DEFAULT_MAX_SWEEP_DEPTH,
  type DepthSweepResult,
  depthSweep,
} from "../../experiment/depth-sweep.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { type OptionSpec, PROBE_OPTIONS } from "../../experiment/options.ts";
import {
  activationFigures,
  depthSweepFigures,
  matrixPowerFigures,
} from "../../report/figures-for/index.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import {
  type ActivationTable,
  activationTable,
  DEFAULT_HEALTHY_FRACTION,
  DEFAULT_TABLE_RANGE,
  type HealthyRegion,
  MAX_TABLE_POINTS,
} from "../../theory/demos/activation-table.ts";
import type { Eigenvalue } from "../../theory/demos/eigenvalues.ts";
import { type MatrixPowerDemo, matrixPowerDemo } from "../../theory/demos/matrix-power.ts";
import { VERDICT_THRESHOLDS } from "../../verdict/thresholds.ts";
import { gateCost } from "../cost-gate.ts";
import { UsageError } from "../errors.ts";
import { logBars } from "../format/bars.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import { addOptionFlags, collectOptionInput } from "../option-flags.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { memoryLimit } from "./probe.ts";

/** `gradscope demo [matrix-power|activations|depth]`: the seed's demonstrations, computed. */

const DEMOS: readonly (readonly [string, string])[] = [
  ["matrix-power", "x_L = W^L x: shared weights explode or vanish as rho(W)^L"],
  ["activations", "phi and phi' of every activation, and where phi' is not saturated"],
  ["depth", "the gradient reaching layer 1 as the same network gets deeper"],
];

export function demoCommand(output: Output): Command {
  const command = new Command("demo").description(
    "the seed's demonstrations, computed (no subcommand: matrix-power and this list)",
  );
  command.addCommand(matrixPowerCommand(output, "matrix-power"));
  command.addCommand(activationsCommand(output));
  command.addCommand(depthCommand(output));
  // `gradscope demo [--json ...]` runs this hidden copy of matrix-power, which also lists the
  // demos. A default subcommand (rather than options on `demo` itself) keeps --json etc.
  // with the subcommand that was named, whatever the position of the flag.
  command.addCommand(matrixPowerCommand(output, "overview"), { isDefault: true, hidden: true });
  command.addHelpText(
    "after",
    `
Examples:
  gradscope demo                     (matrix-power on diag(2,2) and diag(0.1,0.1), then this list)
  gradscope demo --json              (the same two cases as JSON)
  gradscope demo matrix-power --matrix "0.5,2;-0.3,0.9" --layers 20
  gradscope demo activations --activation sigmoid --from -8 --to 8 --step 0.5
  gradscope demo depth --max-depth 30 --activation sigmoid --init standard-uniform
See also: gradscope jacobian (singular values of the input-output Jacobian).`,
  );
  return command;
}

function demoList(): string {
  const list = [
    ...DEMOS.map(([demo, what]) => [`gradscope demo ${demo}`, what]),
    ["gradscope jacobian", "singular values of the input-output Jacobian"],
  ].map(([cmd, what]) => `  ${cmd!.padEnd(28)} ${what}`);
  return `Demos (each takes --help and --json):\n${list.join("\n")}`;
}

// ---------------------------------------------------------------- flag parsing helpers

const got = (raw: unknown): string => `(got '${String(raw)}')`;

/** A number flag within [min, max] (an integer when `integer`); UsageError naming the flag. */
export function parseNumberFlag(
  flag: string,
  raw: unknown,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, integer = false } = range;
  const v = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
  const kind = integer ? "an integer" : "a number";
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${flag} must be ${kind} ${got(raw)}`);
  }
  if (v < min || v > max) {
    const bounds =
      max === Number.POSITIVE_INFINITY
        ? `>= ${min}`
        : min === Number.NEGATIVE_INFINITY
          ? `<= ${max}`
          : `between ${min} and ${max}`;
    throw new UsageError(`${flag} must be ${kind} ${bounds} ${got(raw)}`);
  }
  return v;
}

/** One of `choices`; UsageError naming the flag and listing them. */
export function parseChoiceFlag<T extends string>(
  flag: string,
  raw: unknown,
  choices: readonly T[],
): T {
  if (typeof raw === "string" && (choices as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${flag} must be one of: ${choices.join(", ")} ${got(raw)}`);
}

// ---------------------------------------------------------------- matrix-power

const DEFAULT_MATRICES: readonly number[][][] = [
  [
    [2, 0],
    [0, 2],
  ],
  [
    [0.1, 0],
    [0, 0.1],
  ],
];
const DEFAULT_LAYERS = 5;
const MAX_MATRIX_SIZE = 64;
const MAX_LAYERS = 1000;

/**
 * "2,0;0,2" -> [[2, 0], [0, 2]]: rows separated by ';', entries by ',' or spaces.
 * Throws a UsageError naming --matrix for anything else.
 */
export function parseMatrix(text: string): number[][] {
  const hint = `(rows separated by ';', entries by ',', e.g. "2,0;0,2")`;
  const rowTexts = text.trim().replace(/;\s*$/, "").split(";");
  const rows = rowTexts.map((row, i) =>
    row
      .split(/[\s,]+/)
      .filter((cell) => cell !== "")
      .map((cell) => {
        const v = Number(cell);
        if (!Number.isFinite(v)) {
          throw new UsageError(
            `--matrix: '${cell}' in row ${i + 1} is not a finite number ${hint}`,
          );
        }
        return v;
      }),
  );
  const n = rows.length;
  if (n === 1 && rows[0]!.length === 0) throw new UsageError(`--matrix is empty ${hint}`);
  rows.forEach((row, i) => {
    if (row.length !== n) {
      throw new UsageError(
        `--matrix must be square: it has ${n} row${n > 1 ? "s" : ""} but row ${i + 1} has ${row.length} entr${row.length === 1 ? "y" : "ies"} ${hint}`,
      );
    }
  });
  if (n > MAX_MATRIX_SIZE) {
    throw new UsageError(
      `--matrix is ${n}x${n}; at most ${MAX_MATRIX_SIZE}x${MAX_MATRIX_SIZE} is supported`,
    );
  }
  return rows;
}

/** The matrix-power command; as "overview" (the default of `demo`) it also lists the demos. */
function matrixPowerCommand(output: Output, name: "matrix-power" | "overview"): Command {
  const overview = name === "overview";
  const command = new Command(name)
    .description(
      "a network of identity activations whose layers share one weight matrix W computes W^L x: its norm grows as rho(W)^L",
    )
    .option(
      "--matrix <rows>",
      `W, rows separated by ';' (default: the two cases "2,0;0,2" and "0.1,0;0,0.1")`,
    )
    .option("--layers <n>", `number of layers L (1..${MAX_LAYERS})`, String(DEFAULT_LAYERS))
    .option("--json", "print {cases: [...]} as JSON");
  addPlotCsvOptions(command, "the growth of ||W^n|| (figure)", "the table of every case");
  command.addHelpText(
    "after",
    `
Examples:
  gradscope demo matrix-power
  gradscope demo matrix-power --matrix "1,1;0,1" --layers 10      (rho = 1, yet it grows)
  gradscope demo matrix-power --matrix "0,-1;1,0" --layers 8 --json`,
  );
  // The overview receives any word that named no demo.
  if (overview) command.argument("[demo]");
  command.action(async (...args: unknown[]) => {
    const [unknownDemo, opts] = (overview ? args : [undefined, args[0]]) as [
      string | undefined,
      { matrix?: string; layers: string; json?: boolean },
    ];
    if (unknownDemo !== undefined) {
      throw new UsageError(
        `unknown demo '${unknownDemo}' (choose: ${DEMOS.map(([demo]) => demo).join(", ")})`,
      );
    }
    const layers = parseNumberFlag("--layers", opts.layers, {
      min: 1,
      max: MAX_LAYERS,
      integer: true,
    });
    const matrices = opts.matrix === undefined ? DEFAULT_MATRICES : [parseMatrix(opts.matrix)];
    const files = plotCsvFlags(opts as Record<string, unknown>);
    const demos = matrices.map((W) => matrixPowerDemo(W, layers));
    if (opts.json) output.out(`${toJson({ cases: demos }, 2)}\n`);
    else {
      const text = demos.map(formatMatrixPower).join("\n\n");
      output.out(overview ? `${text}\n\n${demoList()}\n` : `${text}\n`);
    }
    await writePlotCsv(files, output, opts.json === true, {
      table: () => matrixPowerCsv(demos),
      figures: () => matrixPowerFigures(demos, { document: nodeDocument() }),
    });
  });
  return command;
}

/** A matrix entry: exact short decimals (32, 0.1), exponents far from 1 (1e-5). */
function formatEntry(v: number): string {
  if (!Number.isFinite(v)) return formatMetric(v);
  if (v === 0) return "0";
  const short = Number(v.toPrecision(6));
  const a = Math.abs(short);
  return a >= 1e-3 && a < 1e6 ? String(short) : short.toExponential();
}

function formatMatrix(W: readonly (readonly number[])[]): string {
  return `[${W.map((row) => `[${row.map(formatEntry).join(", ")}]`).join(", ")}]`;
}

function formatEigenvalue({ re, im }: Eigenvalue): string {
  if (im === 0) return formatEntry(re);
  return `${formatEntry(re)}${im < 0 ? "-" : "+"}${formatEntry(Math.abs(im))}i`;
}

export function formatMatrixPower(d: MatrixPowerDemo): string {
  const rows = d.steps.map((s) => [
    String(s.power),
    formatMetric(s.spectralNorm),
    formatMetric(s.predicted),
    formatMetric(s.normOverPredicted),
    formatMetric(s.frobeniusNorm),
  ]);
  const table = renderTable(
    [
      { header: "L" },
      { header: "||W^L||_2" },
      { header: "rho^L" },
      { header: "||W^L||_2 / rho^L" },
      { header: "||W^L||_F" },
    ],
    rows,
  );
  const showMatrices = d.size <= 6;
  return [
    `matrix-power: W = ${showMatrices ? formatMatrix(d.matrix) : `${d.size}x${d.size}`}, ${d.layers} layer${d.layers > 1 ? "s" : ""} (identity activations, shared W: x_L = W^L x)`,
    `eigenvalues ${d.eigenvalues.map(formatEigenvalue).join(", ")}; spectral radius rho = ${formatEntry(d.spectralRadius)}`,
    "",
    table,
    "",
    showMatrices
      ? `W^${d.layers} = ${formatMatrix(d.final)}   (each entry rounded once: ${d.arithmetic} arithmetic)`
      : `W^${d.layers}: use --json for the entries`,
    `measured per-layer factor ||W^L||_2^(1/L) = ${formatEntry(d.effectiveFactor)}, predicted rho = ${formatEntry(d.perLayerFactor)}`,
    d.message,
  ].join("\n");
}

// ---------------------------------------------------------------- activations

function activationsCommand(output: Output): Command {
  const { from, to, step } = DEFAULT_TABLE_RANGE;
  const command = new Command("activations")
    .description(
      "value and derivative of each activation, its largest derivative, and the inputs where phi' >= 1% of it",
    )
    .option(
      "--activation <name>",
      `one activation (${ACTIVATION_NAMES.join(", ")}); default: a summary of all`,
    )
    .option("--from <x>", "first input", String(from))
    .option("--to <x>", "last input", String(to))
    .option("--step <h>", "input spacing", String(step))
    .option("--slope <a>", "negative slope of leaky-relu", "0.01")
    .option(
      "--fraction <f>",
      "healthy means phi' >= f * max phi'",
      String(DEFAULT_HEALTHY_FRACTION),
    )
    .option("--json", "print {activations: [...]} as JSON");
  addPlotCsvOptions(
    command,
    "phi and phi' with the healthy region (one figure per activation)",
    "the table (the grid for one activation, the summary for several)",
  );
  command.addHelpText(
    "after",
    `
Examples:
  gradscope demo activations
  gradscope demo activations --activation sigmoid --from -8 --to 8 --step 0.5
  gradscope demo activations --activation leaky-relu --slope 0.2 --json
  gradscope demo activations --fraction 0.04      (sigmoid' >= 0.01 in absolute terms)`,
  );
  command.action(async (opts: Record<string, string | boolean | undefined>) => {
    const files = plotCsvFlags(opts);
    const names =
      opts.activation === undefined
        ? ACTIVATION_NAMES
        : [parseChoiceFlag("--activation", opts.activation, ACTIVATION_NAMES)];
    const lo = parseNumberFlag("--from", opts.from);
    const hi = parseNumberFlag("--to", opts.to);
    if (lo > hi) throw new UsageError(`--from must not exceed --to (got ${lo} > ${hi})`);
    const h = parseNumberFlag("--step", opts.step, { min: Number.MIN_VALUE });
    const count = Math.floor((hi - lo) / h + 1e-9) + 1;
    if (count > MAX_TABLE_POINTS) {
      throw new UsageError(
        `--step ${h} gives ${count} points from ${lo} to ${hi} (at most ${MAX_TABLE_POINTS}): use a larger --step`,
      );
    }
    const slope = parseNumberFlag("--slope", opts.slope, { min: 0, max: 1000 });
    const fraction = parseNumberFlag("--fraction", opts.fraction, { min: 1e-12, max: 0.999999 });
    const tables = names.map((name) =>
      activationTable(name, { from: lo, to: hi, step: h, slope, fraction }),
    );
    if (opts.json) output.out(`${toJson({ activations: tables }, 2)}\n`);
    else if (tables.length === 1) output.out(`${formatActivation(tables[0]!)}\n`);
    else output.out(`${formatActivationSummary(tables)}\n`);
    await writePlotCsv(files, output, opts.json === true, {
      table: () =>
        tables.length === 1 ? activationPointsCsv(tables[0]!) : activationSummaryCsv(tables),
      figures: () => activationFigures(tables, { document: nodeDocument() }),
    });
  });
  return command;
}

/** "|x| < 5.98645", "x > 0", "x > -4.60517", "all x", "-0.726 < x < 3". */
export function formatRegion(r: HealthyRegion): string {
  const f = (v: number): string => String(Number(v.toPrecision(6)));
  if (r.lo === null && r.hi === null) return "all x";
  if (r.lo === null) return `x < ${f(r.hi!)}`;
  if (r.hi === null) return `x > ${f(r.lo)}`;
  if (Math.abs(r.lo + r.hi) <= 1e-9 * Math.abs(r.hi)) return `|x| < ${f(r.hi)}`;
  return `${f(r.lo)} < x < ${f(r.hi)}`;
}

function displayName(t: ActivationTable): string {
  return t.name === "leaky-relu" ? `leaky-relu(${t.slope})` : t.name;
}

function formatActivationSummary(tables: readonly ActivationTable[]): string {
  const fraction = tables[0]?.fraction ?? DEFAULT_HEALTHY_FRACTION;
  const table = renderTable(
    [
      { header: "activation", align: "left" },
      { header: "max phi'" },
      { header: `healthy: phi' >= ${fraction * 100}% of max`, align: "left" },
    ],
    tables.map((t) => [
      displayName(t),
      formatMetric(t.maxDerivative),
      formatRegion(t.healthyRegion),
    ]),
  );
  return [
    `activations: where each derivative passes gradient (phi' >= ${fraction} max phi')`,
    "",
    table,
    "",
    "Outside its healthy region a unit passes less than 1% of the gradient it could.",
    "gradscope demo activations --activation NAME prints phi and phi' on a grid.",
  ].join("\n");
}

export function formatActivation(t: ActivationTable): string {
  const ratio = t.points.map((p) => p.derivative / t.maxDerivative);
  const width = 20;
  const rows = t.points.map((p, i) => {
    const r = ratio[i]!;
    const bar = r > 0 ? "#".repeat(Math.max(1, Math.round(r * width))) : "";
    return [
      formatEntry(p.x),
      formatMetric(p.value),
      formatMetric(p.derivative),
      `${(100 * r).toFixed(r < 0.1 ? 2 : 1)}%`,
      p.derivative >= t.threshold ? bar : `${bar}${bar ? " " : ""}(saturated)`,
    ];
  });
  const table = renderTable(
    [
      { header: "x" },
      { header: "phi(x)" },
      { header: "phi'(x)" },
      { header: "of max" },
      { header: "phi' / max", align: "left" },
    ],
    rows,
  );
  const lines = [
    `activation ${displayName(t)}: max phi' = ${formatMetric(t.maxDerivative)}; healthy (phi' >= ${t.fraction} max = ${formatMetric(t.threshold)}): ${formatRegion(t.healthyRegion)}`,
  ];
  if (t.unsaturatedOutput) {
    lines.push(
      `output within 1% of its bounds (saturated) outside ${formatRegion(t.unsaturatedOutput)}`,
    );
  }
  lines.push("", table);
  return lines.join("\n");
}

// ---------------------------------------------------------------- depth

/** The sweep shows vanishing gradients by default: sigmoid with the "standard" init. */
const DEPTH_DEFAULTS: Record<string, string> = {
  activation: "sigmoid",
  init: "standard-uniform",
};

function depthCommand(output: Output): Command {
  const specs = PROBE_OPTIONS.filter((s) => s.key !== "depth").map(
    (s): OptionSpec =>
      s.key in DEPTH_DEFAULTS ? ({ ...s, default: DEPTH_DEFAULTS[s.key]! } as OptionSpec) : s,
  );
  const command = new Command("depth")
    .description(
      "the same network at depths 1..N: the gradient reaching layer 1 against depth, and its per-layer factor",
    )
    .option("--max-depth <n>", "deepest network", String(DEFAULT_MAX_SWEEP_DEPTH))
    .option("--min-depth <n>", "shallowest network", "1")
    .option("--force", "run even when the cost estimate is over 10 minutes")
    .option(
      "--json",
      "print {config, minDepth, maxDepth, rows, perLayerFactor, perLayerNormFactor}",
    );
  addPlotCsvOptions(command, "the gradient at layer 1 against depth", "the table of depths");
  addOptionFlags(command, specs);
  command.addHelpText(
    "after",
    `
Examples:
  gradscope demo depth
  gradscope demo depth --max-depth 30 --activation sigmoid --init standard-uniform
  gradscope demo depth --activation relu --init he-normal --width 256 --json
  gradscope demo depth --activation tanh --init orthogonal --max-depth 50`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const files = plotCsvFlags(opts);
    const { input, fromFile } = collectOptionInput(specs, command);
    resolveProbeConfig(fromFile, "key");
    const config = resolveProbeConfig({ ...DEPTH_DEFAULTS, ...fromFile, ...input }, "flag");
    const maxDepth = parseNumberFlag("--max-depth", opts.maxDepth, {
      min: 1,
      max: 10_000,
      integer: true,
    });
    const minDepth = parseNumberFlag("--min-depth", opts.minDepth, {
      min: 1,
      max: maxDepth,
      integer: true,
    });
    const { inputDim } = networkShape(config);
    const progress = gateCost(
      `demo depth --max-depth ${maxDepth} --width ${config.width}`,
      estimateCost(
        depthSweepFlops(minDepth, maxDepth, config.width, config.batch, inputDim, config.repeats),
      ),
      {
        force: opts.force === true,
        reduce: "reduce --max-depth, --width or --batch",
        unit: "depth",
      },
      output,
    );
    const result = depthSweep(config, {
      minDepth,
      maxDepth,
      memoryLimitBytes: memoryLimit(),
      onDepth: (d, last) => {
        if (progress) progress(d - minDepth + 1, last - minDepth + 1);
        else if (output.isTTY) output.err(`\rdepth ${d}/${last}${d === last ? "\n" : ""}`);
      },
    });
    output.out(opts.json ? `${toJson(result, 2)}\n` : `${formatDepthSweep(result)}\n`);
    await writePlotCsv(files, output, opts.json === true, {
      table: () => depthSweepCsv(result),
      figures: () => depthSweepFigures(result, { document: nodeDocument() }),
    });
  });
  return command;
}

export function formatDepthSweep(r: DepthSweepResult): string {
  const c = r.config;
  const norms = r.rows.map((row) => row.gradWeightNorm1);
  const bars = logBars(norms);
  const table = renderTable(
    [
      { header: "depth" },
      { header: "E[dz^2] layer 1" },
      { header: "|dW| layer 1" },
      { header: "first/last" },
      { header: "log10 |dW| layer 1", align: "left" },
    ],
    r.rows.map((row, i) => [
      String(row.depth),
      formatMetric(row.gradPreactMeanSq1),
      formatMetric(row.gradWeightNorm1),
      formatMetric(row.firstToLastRatio),
      bars[i]!,
    ]),
  );
  const act = c.activation === "leaky-relu" ? `leaky-relu(${c.slope})` : c.activation;
  const span = r.maxDepth - r.minDepth;
  // the verdict's own cuts (src/verdict/thresholds.ts), on the mean square at layer 1
  const total = r.perLayerFactor ** span;
  const verdict = !Number.isFinite(total)
    ? "not enough finite rows to fit a rate"
    : total < VERDICT_THRESHOLDS.vanishingSpan
      ? `vanishing: from depth ${r.minDepth} to ${r.maxDepth} E[dz^2] at layer 1 falls by ${formatMetric(total)}`
      : total > VERDICT_THRESHOLDS.explodingSpan
        ? `exploding: from depth ${r.minDepth} to ${r.maxDepth} E[dz^2] at layer 1 grows by ${formatMetric(total)}`
        : `stable: from depth ${r.minDepth} to ${r.maxDepth} E[dz^2] at layer 1 changes by ${formatMetric(total)}`;
  return [
    `demo depth: ${act}, init ${c.init}, width ${c.width}, batch ${c.batch}, depths ${r.minDepth}..${r.maxDepth}, seed ${c.seed}`,
    "(one seed: each deeper network adds a layer between the loss and layer 1)",
    "",
    table,
    "",
    `per added layer: E[dz^2] at layer 1 x ${formatMetric(r.perLayerFactor)}, |dW| x ${formatMetric(r.perLayerNormFactor)}`,
    `verdict: ${verdict}`,
  ].join("\n");
}

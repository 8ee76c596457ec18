import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { Command } from "commander";
import { diagnoseProbe } from "../../diagnose/diagnose-probe.ts";
import { ARCH_OPTIONS, type ArchName, archInput } from "../../experiment/arch-options.ts";
import {
  ConfigError,
  type ProbeConfig,
  parseOptionValue,
  resolveProbeConfig,
} from "../../experiment/config.ts";
import { probeCsv } from "../../experiment/csv-export.ts";
import { dumpChunks } from "../../experiment/dump.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { memoryBudget } from "../../experiment/memory-node.ts";
import { PROBE_OPTIONS } from "../../experiment/options.ts";
import {
  buildProbe,
  checkMemory,
  forwardBackward,
  type ProbeResult,
  runProbe,
} from "../../experiment/probe-run.ts";
import { predictProbe, probeTheoryUnavailable } from "../../experiment/probe-theory.ts";
import { probeActivationLayers, probeFigures } from "../../report/figures-for/index.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { batchNormGradientFactor, hasBatchNormTheory } from "../../theory/batch-norm.ts";
import { fitStart } from "../../verdict/flow-measures.ts";
import { fitPerLayerFactor } from "../../verdict/summary.ts";
import { logBars, logSparkline } from "../format/bars.ts";
import { columnsHelp, explain } from "../format/columns.ts";
import { formatFindings } from "../format/findings.ts";
import { formatMetric, formatPercent } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import { addOptionFlags, collectOptionInput } from "../option-flags.ts";
import type { Output } from "../output.ts";
import { addPlotCsvOptions, plotCsvFlags, writePlotCsv } from "../plot-flag.ts";
import { probeArch } from "./probe-arch.ts";

/** Memory a probe may use: three quarters of what this machine has available now. */
export function memoryLimit(): number {
  return memoryBudget();
}

export function probeCommand(output: Output): Command {
  const command = new Command("probe")
    .description(
      "build a deep network, run one forward/backward pass on the probe setup, and measure gradient flow per layer",
    )
    .option("--json", "print {config, layers, summary} as JSON")
    .option("--dump <file>", "write inputs, targets, parameters, z, a and all gradients as JSON")
    .option("--theory", "lay the mean-field prediction of q and E[dz^2] beside the measurement")
    .option("--explain", "after the table, say what each column means");
  addPlotCsvOptions(
    command,
    "|dW| and E[dz^2] by layer and activation histograms",
    "the per-layer table",
  );
  addOptionFlags(command, PROBE_OPTIONS);
  addOptionFlags(command, ARCH_OPTIONS, false);
  command.addHelpText(
    "after",
    `
Examples:
  gradscope probe --depth 20 --activation sigmoid --init standard-uniform
  gradscope probe --depth 50 --activation relu --init he-normal --json
  gradscope probe --activation tanh --weight-var 1.5 --bias-var 0.05 --repeats 5
  gradscope probe --depth 3 --width 4 --batch 2 --dump probe.json
  gradscope probe --arch rnn --activation tanh --seq-len 100 --recurrent-gain 0.9
  gradscope probe --arch lstm --seq-len 100 --width 64 --json
  gradscope probe --arch transformer --depth 24 --norm-position post
${columnsHelp("probe", "recurrent", "transformer")}`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const { input, fromFile } = collectOptionInput(PROBE_OPTIONS, command);
    const archFlags = collectOptionInput(ARCH_OPTIONS, command).input;
    const arch = parseOptionValue(
      ARCH_OPTIONS[0]!,
      archFlags.arch ?? fromFile.arch ?? "mlp",
      archFlags.arch !== undefined ? "flag" : "key",
    ) as ArchName;
    if (arch !== "mlp") {
      await probeArch(
        arch,
        { ...fromFile, ...input, ...archFlags },
        "flag",
        opts,
        output,
        memoryLimit(),
      );
      return;
    }
    // an MLP: the other families' options would change nothing
    const archOnly = Object.fromEntries(
      Object.entries({ ...fromFile, ...archFlags }).filter(([k]) =>
        ARCH_OPTIONS.some((s) => s.key === k),
      ),
    );
    archInput("mlp", archOnly, "flag"); // other keys: the probe's own resolver names them
    delete fromFile.arch;
    resolveProbeConfig(fromFile, "key"); // report config-file mistakes by their key names
    const config = resolveProbeConfig({ ...fromFile, ...input }, "flag");
    const files = plotCsvFlags(opts);
    checkMemory(config, memoryLimit());
    if (typeof opts.dump === "string") {
      if (config.repeats > 1)
        throw new ConfigError("--dump records one pass: use it without --repeats");
      await writeDump(config, opts.dump);
    }
    const result = runProbe(config, {
      memoryLimitBytes: memoryLimit(),
      onRepeat: (done, total) => {
        if (total > 1)
          output.err(
            `${output.isTTY ? "\r" : ""}probe: repeat ${done}/${total}${output.isTTY ? "" : "\n"}`,
          );
      },
    });
    if (config.repeats > 1 && output.isTTY) output.err("\n");
    if (opts.theory) {
      const reason = probeTheoryUnavailable(config);
      if (reason) throw new ConfigError(`--theory: ${reason}`);
      result.theory = predictProbe(config);
      if (config.batchNorm && hasBatchNormTheory(config.activation)) {
        result.batchNormTheory = {
          perLayerFactor: batchNormGradientFactor(config.activation, config.batch),
          reference: "Yang et al. 2019, a mean field theory of batch normalization",
        };
      }
    }
    const diagnosis = diagnoseProbe(result);
    output.out(
      opts.json
        ? `${toJson({ ...result, diagnosis }, 2)}\n`
        : `${formatProbe(result)}\n\n${formatFindings(diagnosis).join("\n")}\n${opts.explain ? explain("probe") : ""}`,
    );
    await writePlotCsv(files, output, opts.json === true, {
      table: () => probeCsv(result),
      figures: () =>
        probeFigures(result, {
          document: nodeDocument(),
          prefix: "probe-",
          activations: probeActivationLayers(config),
        }),
    });
  });
  return command;
}

async function writeDump(config: ProbeConfig, path: string): Promise<void> {
  const setup = buildProbe(config);
  const loss = forwardBackward(setup);
  const stream = createWriteStream(path);
  const failed = once(stream, "error").then(([err]) => {
    throw new ConfigError(
      `cannot write dump ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  });
  const finished = (async () => {
    for (const chunk of dumpChunks(setup, loss)) {
      if (!stream.write(chunk)) await once(stream, "drain");
    }
    stream.end();
    await once(stream, "finish");
  })();
  await Promise.race([finished, failed]);
}

/** The human-readable probe report: config line, per-layer table, sparkline and verdict. */
export function formatProbe(result: ProbeResult): string {
  const { config, layers, summary } = result;
  const norms = layers.map((m) => m.gradWeightNorm);
  const bars = logBars(norms);
  const theory = result.theory?.layers;
  const rows = layers.map((m, i) => [
    String(m.layer),
    formatMetric(m.q),
    m.underflow ? "underflow" : formatMetric(m.gradPreactMeanSq),
    m.underflow ? "underflow" : formatMetric(m.gradWeightNorm),
    formatMetric(m.gradToWeight),
    formatMetric(m.actStd),
    formatPercent(m.saturated),
    formatPercent(m.dead),
    m.nonfinite > 0 ? String(m.nonfinite) : "",
    ...(theory
      ? [
          formatMetric(theory[i]!.gradPreactMeanSq),
          formatMetric(m.gradPreactMeanSq / theory[i]!.gradPreactMeanSq),
        ]
      : []),
    bars[i]!,
  ]);
  const table = renderTable(
    [
      { header: "layer" },
      { header: "q" },
      { header: "E[dz^2]" },
      { header: "|dW|" },
      { header: "grad/w" },
      { header: "act std" },
      { header: "sat" },
      { header: "dead" },
      { header: "NaN/Inf" },
      ...(theory ? [{ header: "pred E[dz^2]" }, { header: "meas/pred" }] : []),
      { header: "log10 |dW|", align: "left" },
    ],
    rows,
  );
  const net = [
    `depth ${config.depth}`,
    `width ${config.width}`,
    `batch ${config.batch}`,
    config.activation === "leaky-relu" ? `leaky-relu(${config.slope})` : config.activation,
    `init ${config.init}${config.init === "normal" || config.init === "uniform" || config.init === "orthogonal" ? ` (weight var ${config.weightVar})` : ""}`,
    config.biasVar > 0 ? `bias var ${config.biasVar}` : "",
    config.gain !== 1 ? `gain ${config.gain}` : "",
    config.batchNorm ? "batch norm" : config.layerNorm ? "layer norm" : "",
    config.residual ? `residual (scale ${config.branchScale})` : "",
    config.dtype,
    `seed ${config.seed}${config.repeats > 1 ? `..${config.seed + config.repeats - 1} (mean of ${config.repeats})` : ""}`,
  ]
    .filter(Boolean)
    .join(", ");
  const lines = [
    `gradscope probe: ${net}`,
    "",
    table,
    "",
    `gradient norm by layer (input -> output, log scale): ${logSparkline(norms)}`,
    `E[dz^2] at layer ${fitStart(summary.depth)} over layer ${summary.depth} ${formatMetric(summary.gradientSpan)} (per-layer factor ${formatMetric(summary.perLayerFactor)}); |dW| layer 1 / layer ${summary.depth} ${formatMetric(summary.firstToLastRatio)}`,
  ];
  if (summary.perLayerFactorSpread) {
    const s = summary.perLayerFactorSpread;
    lines.push(
      `over ${config.repeats} seeds: per-layer factor ${formatMetric(s.mean)} ± ${formatMetric(s.std)} (min ${formatMetric(s.min)}, max ${formatMetric(s.max)})`,
    );
  }
  if (result.theory) {
    // the same layers as the measured fit (the input layer left out)
    const from = fitStart(summary.depth);
    const meanFactor = fitPerLayerFactor(result.theory.layers.filter((m) => m.layer >= from));
    lines.push(
      `mean-field (weight var ${formatMetric(result.theory.weightVar)}, bias var ${formatMetric(result.theory.biasVar)}): predicted per-layer factor ${formatMetric(meanFactor)}, measured ${formatMetric(summary.perLayerFactor)}`,
    );
  }
  if (result.batchNormTheory) {
    lines.push(
      `batch-norm mean field: E[dz^2] grows by ${formatMetric(result.batchNormTheory.perLayerFactor)} per layer toward the input (${result.batchNormTheory.reference}), measured ${formatMetric(summary.perLayerFactor)}`,
    );
  }
  lines.push(`verdict: ${summary.message}`);
  return lines.join("\n");
}

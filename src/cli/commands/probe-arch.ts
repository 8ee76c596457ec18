import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { type ArchName, archInput, transformerInput } from "../../experiment/arch-options.ts";
import { ConfigError } from "../../experiment/config.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import type { OptionSource } from "../../experiment/options.ts";
import {
  buildRecurrentProbe,
  type RecurrentProbeResult,
  recurrentDumpChunks,
  recurrentForwardBackward,
  resolveRecurrentConfig,
  runRecurrentProbe,
} from "../../experiment/recurrent/index.ts";
import { writeTransformerDump } from "../../experiment/transformer/dump-file.ts";
import {
  runTransformerProbe,
  type TransformerProbeResult,
} from "../../experiment/transformer/probe.ts";
import { logBars, logSparkline } from "../format/bars.ts";
import { explain } from "../format/columns.ts";
import { formatMetric, formatPercent } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import type { Output } from "../output.ts";
import { sampleEvenly } from "../progress.ts";

/** What `probe` does for a recurrent net or a transformer (the MLP keeps its own path). */
export async function probeArch(
  arch: Exclude<ArchName, "mlp">,
  given: Readonly<Record<string, unknown>>,
  source: OptionSource,
  opts: Readonly<Record<string, unknown>>,
  output: Output,
  memoryLimitBytes: number,
): Promise<void> {
  for (const flag of ["plot", "csv", "theory"] as const) {
    // the theory of a recurrent net is always shown; figures and CSV are the MLP's so far
    if (opts[flag] !== undefined && !(flag === "theory" && arch !== "transformer")) {
      throw new ConfigError(`--${flag} is not available for --arch ${arch} yet`);
    }
  }
  const input = archInput(arch, given, source);
  if (arch === "transformer") {
    const config = transformerInput(input, source);
    if (typeof opts.dump === "string") writeTransformerDump(config, opts.dump);
    const result = runTransformerProbe(config);
    output.out(
      opts.json
        ? `${toJson({ arch, ...result }, 2)}\n`
        : `${formatTransformerProbe(result)}\n${opts.explain ? explain("transformer") : ""}`,
    );
    return;
  }
  const config = resolveRecurrentConfig({ ...input, arch }, source);
  const result = runRecurrentProbe(config, { memoryLimitBytes });
  if (typeof opts.dump === "string") {
    const setup = buildRecurrentProbe(config);
    const loss = recurrentForwardBackward(setup);
    await writeChunks(opts.dump, recurrentDumpChunks(setup, loss));
  }
  output.out(
    opts.json
      ? `${toJson({ arch, ...result }, 2)}\n`
      : `${formatRecurrentProbe(result)}\n${opts.explain ? explain("recurrent") : ""}`,
  );
}

async function writeChunks(path: string, chunks: Iterable<string>): Promise<void> {
  const stream = createWriteStream(path);
  const failed = once(stream, "error").then(([err]) => {
    throw new ConfigError(
      `cannot write dump ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  });
  const finished = (async () => {
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await once(stream, "drain");
    }
    stream.end();
    await once(stream, "finish");
  })();
  await Promise.race([finished, failed]);
}

/** At most this many rows of a per-step table (first and last always among them). */
const MAX_ROWS = 24;

/** The recurrent probe: one row per time step (sampled when long), the theory, the verdict. */
export function formatRecurrentProbe(r: RecurrentProbeResult): string {
  const c = r.config;
  const steps = r.timeSteps;
  const shown = new Set(
    sampleEvenly(
      steps.map((_, i) => i),
      MAX_ROWS,
    ),
  );
  const norms = steps.map((s) => s.gradHiddenNorm);
  const bars = logBars(norms);
  const linear = steps.some((s) => s.predicted !== null);
  const rows = steps
    .map((s, i) => ({ s, i }))
    .filter(({ i }) => shown.has(i))
    .map(({ s, i }) => [
      String(s.t),
      String(c.seqLen - s.t),
      s.underflow ? "underflow" : formatMetric(s.gradHiddenNorm),
      formatMetric(s.gradHiddenMeanSq),
      ...(linear ? [s.predicted === null ? "-" : formatMetric(s.predicted)] : []),
      formatMetric(s.hiddenStd),
      formatPercent(s.saturated),
      s.nonfinite > 0 ? String(s.nonfinite) : "",
      bars[i]!,
    ]);
  const table = renderTable(
    [
      { header: "t" },
      { header: "steps back" },
      { header: "|dL/dh_t|" },
      { header: "E[(dL/dh)^2]" },
      ...(linear ? [{ header: "pred rho^(T-t)" }] : []),
      { header: "h std" },
      { header: "sat" },
      { header: "NaN/Inf" },
      { header: "log10 |dL/dh_t|", align: "left" },
    ],
    rows,
  );
  const th = r.theory;
  const top = th.singularValues
    .map((g) => `${g.gate}: ${g.values.slice(0, 3).map(formatMetric).join(", ")}`)
    .join("; ");
  const lines = [
    `gradscope probe: ${c.arch}, ${c.seqLen} steps, hidden ${c.width}, input ${c.inputDim ?? c.width}, batch ${c.batch}${c.arch === "rnn" ? `, ${c.activation}` : ""}, init ${c.init}, recurrent ${c.recurrentInit} x ${c.recurrentGain}${c.arch === "lstm" ? `, forget bias ${c.forgetBias}` : ""}, ${c.dtype}, seed ${c.seed}`,
    "",
    table,
    steps.length > shown.size
      ? `(${shown.size} of ${steps.length} steps shown; --json has all)`
      : "",
    "",
    `gradient norm by time step (t = 1 -> T, log scale): ${logSparkline(norms.length > 60 ? sampleEvenly(norms, 60) : norms)}`,
    `E[(dL/dh)^2] at step 2 over step ${c.seqLen} ${formatMetric(r.summary.gradientSpan)} (per-step factor ${formatMetric(r.summary.perStepFactor)}); |dL/dh_1| / |dL/dh_T| ${formatMetric(r.summary.firstToLastRatio)}`,
    `recurrent matrix singular values (largest) ${top}`,
  ];
  if (th.pascanu) {
    const p = th.pascanu;
    lines.push(
      `Pascanu et al. 2013: gamma = sup|phi'| = ${formatMetric(p.gamma)}, sigma_max = ${formatMetric(p.sigmaMax)}, gamma sigma_max = ${formatMetric(p.perStepBound)} per step: ${p.vanishingGuaranteed ? "sigma_max < 1/gamma, so the gradient must vanish (sufficient condition)" : "sigma_max > 1/gamma, so exploding is possible (necessary condition; not sufficient)"}`,
    );
  } else {
    lines.push(th.note);
  }
  lines.push("", `verdict: ${r.summary.message}`);
  return lines.filter((l, i) => l !== "" || lines[i - 1] !== "").join("\n");
}

/** The transformer probe: one row per block, the verdict over blocks. */
export function formatTransformerProbe(r: TransformerProbeResult): string {
  const c = r.config;
  const norms = r.layers.map((m) => m.gradWeightNorm);
  const bars = logBars(norms);
  const rows = r.layers.map((m, i) => [
    String(m.layer),
    formatMetric(m.inputMeanSq),
    formatMetric(m.q),
    m.underflow ? "underflow" : formatMetric(m.gradInputMeanSq),
    formatMetric(m.gradWeightNorm),
    formatMetric(m.attention.entropy),
    c.activation === "relu" ? formatPercent(m.ffn.dead) : "-",
    m.nonfinite > 0 ? String(m.nonfinite) : "",
    bars[i]!,
  ]);
  const table = renderTable(
    [
      { header: "block" },
      { header: "E[x^2] in" },
      { header: "E[y^2] out" },
      { header: "E[(dL/dx)^2]" },
      { header: "|dW_ffn2|" },
      { header: "attn entropy" },
      { header: "ffn dead" },
      { header: "NaN/Inf" },
      { header: "log10 |dW_ffn2|", align: "left" },
    ],
    r.layers.length > MAX_ROWS
      ? sampleEvenly(
          rows.map((_, i) => i),
          MAX_ROWS,
        ).map((i) => rows[i]!)
      : rows,
  );
  const s = r.summary;
  return [
    `gradscope probe: transformer, ${c.depth} blocks (${c.normPosition}-LN), width ${c.width}, ${c.heads} heads, ffn ${c.ffnWidth} ${c.activation}, seq-len ${c.seqLen}, ${c.inputDim === null ? `vocab ${c.vocab}` : `input ${c.inputDim}`}, ${c.positions} positions, batch ${c.batch}, init ${c.init}, ${c.dtype}, seed ${c.seed}`,
    "",
    table,
    "",
    `|dW_ffn2| by block (input -> output, log scale): ${logSparkline(norms)}`,
    `E[(dL/dx)^2] at block 2 over block ${s.depth} ${formatMetric(s.gradientSpan)} (per-block factor ${formatMetric(s.perLayerFactor)}); |dW_ffn2| block 1 / block ${s.depth} ${formatMetric(s.firstToLastRatio)}`,
    "",
    `verdict: ${s.message}`,
  ].join("\n");
}

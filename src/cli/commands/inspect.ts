import { readFileSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { ACTIVATION_NAMES, type ActivationName } from "../../core/activations.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { inspectWeights } from "../../experiment/weights/inspect.ts";
import { readSafetensors, SafetensorsError } from "../../experiment/weights/safetensors.ts";
import { VERDICT_THRESHOLDS } from "../../verdict/thresholds.ts";
import { UsageError } from "../errors.ts";
import { formatMetric } from "../format/numbers.ts";
import { renderTable } from "../format/table.ts";
import type { Output } from "../output.ts";

export function inspectCommand(output: Output): Command {
  const command = new Command("inspect")
    .description(
      "read a checkpoint's weights (safetensors, e.g. a PyTorch state dict saved with safetensors) and say what their scale predicts for gradient flow",
    )
    .argument("<file>", "a .safetensors file")
    .addOption(
      new Option(
        "--activation <name>",
        "the activation after each weight matrix (for the mean-field prediction)",
      )
        .choices([...ACTIVATION_NAMES])
        .default("relu"),
    )
    .option("--top <k>", "largest singular values to show per matrix", "3")
    .option("--json", "print {file, activation, layers, predictedSpan, other} as JSON");
  command.addHelpText(
    "after",
    `
Columns:
  sigma_w^2   fan_in Var(W): the mean-field weight variance of the layer (fan_in = in, or
              in*kh*kw for a convolution)
  sigma_b^2   mean square of the matching bias
  chi1        mean-field factor of the mean-square gradient per layer at that scale, for
              --activation: < 1 vanishes, > 1 explodes, 1 is the edge of chaos
  sigma_max   largest singular values of W as a [out, fan_in] matrix
  stable rank ||W||_F^2 / ||W||_2^2: how many directions carry the weight's energy

A trained layer need not sit at its length map's fixed point: chi1 says what a network of such
layers would do at initialization, not what the trained model does on data.

Exit status: 0 when read, 2 for a missing, truncated or malformed file.

Examples:
  gradscope inspect model.safetensors --activation relu
  gradscope inspect model.safetensors --activation tanh --json`,
  );
  command.action((file: string, opts: Record<string, unknown>) => {
    const top = Number(opts["top"]);
    if (!Number.isInteger(top) || top < 1 || top > 64) {
      throw new UsageError(
        `--top must be an integer between 1 and 64 (got '${String(opts["top"])}')`,
      );
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new UsageError(`inspect: ${file} is not a file`);
      size = st.size;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`inspect: ${file} does not exist`);
    }
    let parsed: ReturnType<typeof readSafetensors>;
    try {
      parsed = readSafetensors(readFileSync(file));
    } catch (err) {
      if (err instanceof SafetensorsError) throw new UsageError(`inspect: ${file}: ${err.message}`);
      throw err;
    }
    const activation = opts["activation"] as ActivationName;
    const r = inspectWeights(parsed.tensors, activation, top);
    if (opts["json"] === true) {
      output.out(`${toJson({ file, bytes: size, ...r, skipped: parsed.skipped }, 2)}\n`);
      return;
    }
    const table = renderTable(
      [
        { header: "tensor", align: "left" },
        { header: "shape", align: "left" },
        { header: "sigma_w^2" },
        { header: "sigma_b^2" },
        { header: "chi1" },
        { header: "phase", align: "left" },
        { header: "sigma_max", align: "left" },
        { header: "stable rank" },
      ],
      r.layers.map((l) => [
        l.name,
        l.shape.join("x"),
        formatMetric(l.weightVar),
        formatMetric(l.biasVar),
        formatMetric(l.chi1),
        l.nonfinite > 0 ? `${l.nonfinite} NaN/Inf` : l.phase,
        l.singularValues.map((v) => formatMetric(v)).join(", "),
        formatMetric(l.stableRank),
      ]),
    );
    const span = r.predictedSpan;
    const reading = !Number.isFinite(span)
      ? "no prediction"
      : span < VERDICT_THRESHOLDS.vanishingSpan
        ? "vanishing"
        : span > VERDICT_THRESHOLDS.explodingSpan
          ? "exploding"
          : "within the verdict's range";
    const lines = [
      `gradscope inspect: ${file} (${parsed.tensors.length + parsed.skipped.length} tensors, ${r.layers.length} weight matrices), activation ${activation}`,
      "",
      table,
      "",
      `mean field over layers 2..${r.layers.length}: E[(dL/dz)^2] changes by prod chi1 = ${formatMetric(span)} from the last layer down to layer 2: ${reading}`,
    ];
    if (r.other.length > 0)
      lines.push(`not weight matrices: ${r.other.length} tensors (biases, norms, ...)`);
    output.out(`${lines.join("\n")}\n`);
  });
  return command;
}

import type { Param } from "../../core/layers/layer.ts";
import { field } from "../dump.ts";
import { toJson } from "../json-numbers.ts";
import type { TransformerSetup } from "./build.ts";

/** "name": value and "dname": gradient for each parameter (e.g. "attn.Wq" and "dattn.Wq"). */
function paramFields(params: readonly Param[]): string[] {
  return params.flatMap((p) => [field(p.name, p.value), field(`d${p.name}`, p.grad)]);
}

/**
 * The dump of one transformer probe pass, `"arch": "transformer"`, as JSON text chunks (one per
 * block) so a deep model streams to disk. Call after `transformerForwardBackward(setup)`.
 * Layout: config, dtype, loss, lossName, normPosition, alpha, heads, seqLen, width, activation,
 * positionKind; input and target; "embed" {E, dE, positions P (+ dP when learned),
 * h = dL/d(embeddings+positions)}; "blocks" [{layer, every parameter and its "d"-prefixed
 * gradient, y = block output, dx = dL/d(block input)}]; "final" (pre-LN's last LayerNorm);
 * "head" {kind, W, b, dW, db} under cross-entropy; "representation" (the final output
 * before the head). Weights are [out, in] as torch nn.Linear; E is [d, inputDim].
 */
export function* transformerDumpChunks(setup: TransformerSetup, loss: number): Generator<string> {
  const { config, model } = setup;
  const head = {
    arch: "transformer",
    config,
    dtype: model.dtype,
    loss,
    lossName: config.loss,
    normPosition: config.normPosition,
    alpha: model.blocks[0]!.alpha,
    heads: config.heads,
    seqLen: config.seqLen,
    width: config.width,
    activation: config.activation,
    positionKind: config.positions,
    task: config.loss === "cross-entropy" ? config.task : null,
  };
  yield `${toJson(head).slice(0, -1)},\n`;
  yield `${field("input", setup.input)},\n${field("target", setup.target)},\n`;
  const embed = [field("E", model.embedding.E), field("dE", model.embedding.dE)];
  embed.push(field("P", model.positions.table));
  if (model.positions.kind === "learned") embed.push(field("dP", model.positions.grad));
  embed.push(field("dh", model.embeddedGrad));
  yield `"embed":{${embed.join(",")}},\n"blocks":[`;
  for (let l = 0; l < model.blocks.length; l++) {
    const block = model.blocks[l]!;
    const parts = [
      `"layer":${l + 1}`,
      ...paramFields(block.params()),
      field("y", block.output),
      field("dx", block.inputGrad),
    ];
    yield `${l === 0 ? "" : ",\n"}{${parts.join(",")}}`;
  }
  yield "]";
  if (model.finalNorm) yield `,\n"final":{${paramFields(model.finalNorm.params()).join(",")}}`;
  if (model.head) {
    yield `,\n"head":{"kind":${JSON.stringify(model.head.kind)},${paramFields(model.head.params()).join(",")}}`;
  }
  yield `,\n${field("representation", model.representation)}}\n`;
}

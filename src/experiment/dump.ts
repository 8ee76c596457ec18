import type { Mat } from "../core/mat.ts";
import { toJson } from "./json-numbers.ts";
import type { ProbeSetup } from "./probe-run.ts";

/** A tensor as in the dump format: shape and row-major data, non-finite values as strings. */
function tensorJson(m: Mat): string {
  const parts: string[] = new Array(m.size);
  for (let i = 0; i < m.size; i++) {
    const v = m.data[i]!;
    parts[i] = Number.isFinite(v)
      ? String(v)
      : Number.isNaN(v)
        ? '"NaN"'
        : v > 0
          ? '"Infinity"'
          : '"-Infinity"';
  }
  return `{"shape":[${m.rows},${m.cols}],"data":[${parts.join(",")}]}`;
}

/** `"name":{shape, data}`: one tensor of a dump (every family's dump uses it). */
export function field(name: string, m: Mat): string {
  return `${JSON.stringify(name)}:${tensorJson(m)}`;
}

/**
 * The dump of one probe pass (see DESIGN.md "Dump format"), as a sequence of JSON text
 * chunks, one per tensor group, so a large network streams to disk without one giant string.
 * Call after `forwardBackward(setup)`; `loss` is its value.
 */
export function* dumpChunks(setup: ProbeSetup, loss: number): Generator<string> {
  const { config, network } = setup;
  yield `{"config":${toJson(config)},"dtype":${JSON.stringify(network.dtype)},"loss":${toJson(loss)},"lossName":${JSON.stringify(config.loss)},\n`;
  yield `${field("input", setup.input)},\n${field("target", setup.target)},\n"layers":[`;
  for (let l = 0; l < network.blocks.length; l++) {
    const block = network.blocks[l]!;
    const head = {
      layer: l + 1,
      activation: block.activation.name,
      slope: block.activation.slope,
      batchNorm: block.normalization === "batch-norm",
      layerNorm: block.normalization === "layer-norm",
      residual: block.residual,
      branchScale: block.branchScale,
    };
    const parts = [
      JSON.stringify(head).slice(1, -1),
      field("W", block.dense.W),
      field("b", block.dense.b),
    ];
    if (block.norm) {
      const [gamma, beta] = block.norm.params();
      parts.push(field("gamma", gamma!.value), field("beta", beta!.value));
    }
    parts.push(field("z", block.z));
    if (block.norm) parts.push(field("u", block.u));
    parts.push(field("a", block.output), field("dz", block.dz));
    parts.push(field("dW", block.dense.dW), field("db", block.dense.db));
    if (block.norm) {
      const [gamma, beta] = block.norm.params();
      parts.push(field("dgamma", gamma!.grad), field("dbeta", beta!.grad));
    }
    yield `${l === 0 ? "" : ",\n"}{${parts.join(",")}}`;
  }
  yield "]";
  const r = network.readout;
  if (r) {
    yield `,\n"readout":{${[field("W", r.W), field("b", r.b), field("dW", r.dW), field("db", r.db)].join(",")}}`;
  }
  yield "}\n";
}

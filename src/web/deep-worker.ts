/**
 * The worker of the "through time" and "where LayerNorm sits" pages: runs the engine's
 * recurrent and transformer probes (the numbers of `gradscope probe --arch ...`) off the
 * page's thread and answers with plain data.
 */
import { resolveRecurrentConfig, runRecurrentProbe } from "../experiment/recurrent/index.ts";
import { transformerConfig } from "../experiment/transformer/config.ts";
import { runTransformerProbe } from "../experiment/transformer/probe.ts";
import type { DeepAnswer, DeepRequest } from "./deep-protocol.ts";
import { TIME_BATCH, TIME_WIDTH } from "./deep-protocol.ts";

interface WorkerScope {
  postMessage(message: DeepAnswer): void;
  addEventListener(
    type: "message",
    listener: (event: { data: { id: number; request: DeepRequest } }) => void,
  ): void;
}
const scope = globalThis as unknown as WorkerScope;

/**
 * The `gradscope probe` input of the "through time" page: width 64 and batch 16 (a slider
 * must answer in well under a second at T = 200), the CLI's defaults otherwise.
 */
export function recurrentInput(r: DeepRequest & { kind: "recurrent" }): Record<string, unknown> {
  const input: Record<string, unknown> = {
    arch: r.arch,
    seqLen: r.seqLen,
    recurrentGain: r.rho,
    width: TIME_WIDTH,
    batch: TIME_BATCH,
  };
  if (r.arch === "rnn") input.activation = r.activation;
  return input;
}

function answer(id: number, request: DeepRequest, start: number): DeepAnswer {
  if (request.kind === "recurrent") {
    const result = runRecurrentProbe(resolveRecurrentConfig(recurrentInput(request)));
    const { singularValues: _sv, ...theory } = result.theory;
    return {
      id,
      kind: "recurrent",
      result: {
        config: result.config,
        timeSteps: result.timeSteps,
        summary: result.summary,
        theory,
      },
      ms: performance.now() - start,
    };
  }
  const result = runTransformerProbe(
    transformerConfig({ depth: request.depth, normPosition: request.normPosition }),
  );
  return {
    id,
    kind: "transformer",
    result: {
      config: result.config,
      summary: result.summary,
      layers: result.layers.map((m) => ({
        layer: m.layer,
        gradWeightNorm: m.gradWeightNorm,
        q: m.q,
        gradInputMeanSq: m.gradInputMeanSq,
        nonfinite: m.nonfinite,
      })),
    },
    ms: performance.now() - start,
  };
}

scope.addEventListener("message", (event) => {
  const { id, request } = event.data;
  const start = performance.now();
  try {
    scope.postMessage(answer(id, request, start));
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});

/**
 * A small imported run as python/gradscope_hook.py writes it (config.json with `modules`,
 * metrics.jsonl with per-module metrics, log-binned histograms, update ratios), for the Run
 * view's tests: a 3-block Transformer-like encoder whose weight gradients shrink toward the
 * input, with one loss spike. Deterministic (a tiny LCG), no file system here.
 */

export interface FixtureOptions {
  steps: number;
  /** Write histograms (default true). */
  hist?: boolean;
  /** Step of a loss and gradient-norm spike (default: a third of the way). */
  spikeAt?: number;
  /** Step from which loss and gradients are NaN (default none). */
  nanFrom?: number;
}

const TYPES: [string, string, string | null][] = [["embed", "Embedding", null]];
for (let b = 0; b < 3; b++) {
  const p = `encoder.layers.${b}`;
  TYPES.push(
    [`${p}.self_attn`, "MultiheadAttention", null],
    [`${p}.linear1`, "Linear", "relu"],
    [`${p}.linear2`, "Linear", null],
    [`${p}.norm1`, "LayerNorm", null],
  );
}
TYPES.push(["head", "Linear", null]);

export function fixtureConfig(name = "tiny transformer") {
  return {
    source: "pytorch-hook",
    name,
    hookVersion: 1,
    every: 1,
    torch: "2.3.0",
    dtype: "f32",
    optimizer: { type: "SGD", lr: 0.05 },
    modules: TYPES.map(([path, type, activation], i) => ({
      layer: i + 1,
      path,
      type,
      params: 4160,
      activation,
      weight: "weight",
    })),
  };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A log-binned histogram centred near 2^centre (edges powers of two, 8 bins). */
function hist(centre: number, rand: () => number) {
  const lo = Math.round(centre) - 4;
  const edges = Array.from({ length: 9 }, (_, i) => 2 ** (lo + i));
  const weights = [1, 4, 12, 30, 30, 12, 4, 1].map((w) => w * (0.8 + 0.4 * rand()));
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.round((w / sum) * 2000));
  const sampled = counts.reduce((a, b) => a + b, 0) + 48;
  return { edges, counts, zeros: 48, nonfinite: 0, sampled, total: 4 * sampled };
}

/** metrics.jsonl lines of the fixture (each a JSON text, no newline). */
export function fixtureLines(options: FixtureOptions): string[] {
  const rand = lcg(7);
  const L = TYPES.length;
  const spikeAt = options.spikeAt ?? Math.max(2, Math.floor(options.steps / 3));
  const lines: string[] = [];
  for (let step = 1; step <= options.steps; step++) {
    const bad = options.nanFrom !== undefined && step >= options.nanFrom;
    const spike = step === spikeAt ? 40 : 1;
    const layers = TYPES.map(([path], i) => {
      const depthFactor = 0.3 ** ((L - 1 - i) / 2); // gradients shrink toward the input
      const g = 0.5 * depthFactor * (0.8 + 0.4 * rand()) * spike;
      const rec: Record<string, unknown> = {
        layer: i + 1,
        path,
        q: 0.5 + 0.1 * rand(),
        gradPreactMeanSq: bad ? "NaN" : (g * g) / 100,
        gradWeightNorm: bad ? "NaN" : g,
        gradBiasNorm: bad ? "NaN" : g / 5,
        weightNorm: 4 + rand(),
        gradToWeight: g / 40,
        updateRatio: bad ? null : Math.log10(0.05 * (g / 40)) + 0.2 * (rand() - 0.5),
        actMean: 0.1 * (rand() - 0.5),
        actStd: 0.6 + 0.1 * rand(),
        saturated: 0,
        lowDerivative: 0.3,
        inactive: 0.3,
        dead: 0,
        nonfinite: bad ? 10 : 0,
        subnormal: 0,
        underflow: false,
        weight: "weight",
      };
      if (options.hist ?? true) {
        rec.hist = {
          grad: hist(Math.log2(g / 30), rand),
          act: hist(-0.5, rand),
        };
      }
      return rec;
    });
    const loss = bad
      ? "NaN"
      : (2.3 * Math.exp(-step / 150) + 0.2 + 0.02 * rand()) * (spike > 1 ? 15 : 1);
    const gradNorm = bad
      ? "NaN"
      : Math.sqrt(layers.reduce((a, l) => a + (l.gradWeightNorm as number) ** 2, 0));
    lines.push(JSON.stringify({ step, loss, gradNorm, lr: 0.05, layers }));
  }
  return lines;
}

export function fixtureSummary(steps: number, exploded = false) {
  return {
    status: exploded ? ("exploded" as const) : ("completed" as const),
    steps: null,
    stepsDone: steps,
    initialLoss: 2.5,
    finalLoss: 0.3,
    recordedSteps: steps,
    explosion: null,
    message: `completed ${steps} steps`,
  };
}

import type { ParamSeries, RunCollector } from "./collect.ts";
import { gradToWeight, histogramJson, histogramNonFinite, histogramNorm } from "./metrics.ts";
import { BIAS_NAME, isWeightName, scalarRole } from "./tags.ts";
import type { Histogram } from "./values.ts";

/**
 * Turn collected TensorBoard data into the three parts of a gradscope run directory, in the
 * shape python/gradscope_hook.py writes (config.json with modules, one metrics line per step,
 * summary.json), with `source: "tensorboard"`. Only what the histograms and scalars determine
 * is written; the per-layer quantities TensorBoard does not log (q, gradPreactMeanSq, the
 * activation statistics, updateRatio) are null, so the diagnosis lists the rules that need
 * them as not measurable. Pure.
 */

/** An input that cannot be imported; the message is one line for the user. */
export class ImportError extends Error {
  override readonly name = "ImportError";
}

export interface BuildOptions {
  /** Where the events came from (written to config.json). */
  logdir: string;
  eventFiles: number;
  /** Use this scalar tag as the loss instead of the one found by name. */
  lossTag?: string;
  name?: string;
}

export interface ImportedModuleConfig {
  layer: number;
  path: string;
  type: string;
  activation: null;
  weight: string;
}

export interface TensorBoardRunConfig {
  source: "tensorboard";
  name: string | null;
  importVersion: 1;
  logdir: string;
  eventFiles: number;
  optimizer: { type: null; lr: number } | null;
  tensorboard: {
    lossTag: string | null;
    lrTag: string | null;
    gradNorm: string | null;
    histograms: "exact" | "estimated from buckets" | "mixed";
    unmappedTags: number;
  };
  modules: ImportedModuleConfig[];
}

/** One metrics.jsonl line (TrainRecord's fields that an import can fill; null: not measured). */
export interface ImportRecord {
  step: number;
  loss?: number;
  gradNorm: number | null;
  lr: number | null;
  layers: Record<string, unknown>[];
}

export interface ImportExplosion {
  step: number;
  layer: number | null;
  what: "loss" | "dW" | "gradient";
  loss: number;
  message: string;
}

export interface ImportSummary {
  status: "completed" | "exploded";
  steps: null;
  stepsDone: number;
  initialLoss: number | null;
  finalLoss: number | null;
  recordedSteps: number;
  explosion: ImportExplosion | null;
  message: string;
}

export interface ImportedRun {
  config: TensorBoardRunConfig;
  records: ImportRecord[];
  summary: ImportSummary;
  /** What the import did, one line each, for the user. */
  notes: string[];
}

interface Module {
  path: string;
  weight: ParamSeries;
  bias: ParamSeries | null;
  all: ParamSeries[];
}

/** Natural order of module paths: "layers.2" before "layers.10". */
export function compareModulePaths(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** The parameter that is the module's weight: "weight"/"kernel" first, then "weight*", then the first. */
function pickWeight(series: readonly ParamSeries[]): ParamSeries {
  const withGrad = series.filter((s) => s.grad.size > 0);
  return (
    withGrad.find((s) => isWeightName(s.param)) ??
    withGrad.find((s) => /weight/i.test(s.param)) ??
    [...withGrad].sort((a, b) => a.param.localeCompare(b.param))[0]!
  );
}

function modulesOf(c: RunCollector): Module[] {
  const byModule = new Map<string, ParamSeries[]>();
  for (const s of c.params.values()) {
    const list = byModule.get(s.module) ?? [];
    list.push(s);
    byModule.set(s.module, list);
  }
  return [...byModule.entries()]
    .filter(([, list]) => list.some((s) => s.grad.size > 0))
    .sort((a, b) => compareModulePaths(a[0], b[0]))
    .map(([path, list]) => ({
      path,
      weight: pickWeight(list),
      bias: list.find((s) => BIAS_NAME.test(s.param) && s.grad.size > 0) ?? null,
      all: list,
    }));
}

/** The scalar tag with the given role that has the most points (ties: the shorter name). */
function pickScalar(c: RunCollector, role: "loss" | "lr" | "grad-norm"): string | null {
  const tags = [...c.scalars.keys()].filter((t) => scalarRole(t)?.role === role);
  tags.sort(
    (a, b) =>
      c.scalars.get(b)!.size - c.scalars.get(a)!.size || a.length - b.length || a.localeCompare(b),
  );
  return tags[0] ?? null;
}

/** The value of a series at `step`, or its last value before it (a rate logged per epoch). */
function atOrBefore(series: Map<number, number> | undefined, step: number): number | null {
  if (!series) return null;
  let best: number | null = null;
  let bestStep = -Infinity;
  for (const [s, v] of series) {
    if (s <= step && s > bestStep) {
      best = v;
      bestStep = s;
    }
  }
  return best;
}

function histograms(m: Module, step: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of m.all) {
    const value = s.value.get(step);
    const grad = s.grad.get(step);
    if (!value && !grad) continue;
    out[s.param || "(module)"] = {
      ...(value ? { value: histogramJson(value) } : {}),
      ...(grad ? { grad: histogramJson(grad) } : {}),
    };
  }
  return out;
}

function layerRecord(m: Module, index: number, step: number): Record<string, unknown> {
  const grad = m.weight.grad.get(step)!;
  const value = m.weight.value.get(step);
  const biasGrad = m.bias?.grad.get(step);
  let nonfinite = 0;
  for (const s of m.all) {
    for (const h of [s.value.get(step), s.grad.get(step)])
      if (h && histogramNonFinite(h)) nonfinite++;
  }
  return {
    layer: index,
    path: m.path,
    weight: m.weight.param,
    q: null,
    gradPreactMeanSq: null,
    gradWeightNorm: histogramNorm(grad),
    gradBiasNorm: biasGrad ? histogramNorm(biasGrad) : null,
    weightNorm: value ? histogramNorm(value) : null,
    gradToWeight: value ? gradToWeight(grad, value) : null,
    updateRatio: null,
    actMean: null,
    actStd: null,
    saturated: null,
    lowDerivative: null,
    inactive: null,
    dead: null,
    nonfinite,
    subnormal: null,
    underflow: null,
    histograms: histograms(m, step),
  };
}

/** sqrt of the sum of every logged parameter gradient's sum of squares, when every parameter's gradient is logged at `step`. */
function histogramGradNorm(c: RunCollector, step: number): number | null {
  let sum = 0;
  let any = false;
  for (const s of c.params.values()) {
    const g = s.grad.get(step);
    if (!g) return null;
    sum += g.sumSquares;
    any = true;
  }
  return any ? Math.sqrt(sum) : null;
}

function histogramKind(c: RunCollector): TensorBoardRunConfig["tensorboard"]["histograms"] {
  let exact = 0;
  let estimated = 0;
  for (const s of c.params.values()) {
    for (const h of [...s.value.values(), ...s.grad.values()] as Histogram[]) {
      if (h.exact) exact++;
      else estimated++;
    }
  }
  return estimated === 0 ? "exact" : exact === 0 ? "estimated from buckets" : "mixed";
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

/** Build the run directory's contents (see the module comment). Throws ImportError. */
export function buildRun(c: RunCollector, options: BuildOptions): ImportedRun {
  const modules = modulesOf(c);
  if (modules.length === 0) {
    const scalars = [...c.scalars.keys()];
    throw new ImportError(
      `no gradient histograms found (tags like 'grad/layer1.weight', 'layer1.weight/grad' or 'gradients/dense/kernel'; ${c.params.size > 0 ? `${c.params.size} parameter histograms without gradients` : scalars.length > 0 ? `only scalars: ${scalars.slice(0, 5).join(", ")}${scalars.length > 5 ? ", ..." : ""}` : "no histograms or scalars"}): gradscope reads a run's gradient flow from add_histogram(name + '/grad', p.grad) of every parameter`,
    );
  }
  let lossTag: string | null;
  if (options.lossTag !== undefined) {
    if (!c.scalars.has(options.lossTag)) {
      throw new ImportError(
        `--loss-tag '${options.lossTag}' is not a scalar tag of this log (scalars: ${[...c.scalars.keys()].join(", ") || "none"})`,
      );
    }
    lossTag = options.lossTag;
  } else {
    lossTag = pickScalar(c, "loss");
  }
  const lrTag = pickScalar(c, "lr");
  const normTag = pickScalar(c, "grad-norm");
  const lossSeries = lossTag !== null ? c.scalars.get(lossTag)! : undefined;
  const lrSeries = lrTag !== null ? c.scalars.get(lrTag) : undefined;
  const normSeries = normTag !== null ? c.scalars.get(normTag) : undefined;

  // recorded steps: those with the weight gradient of every module
  const allSteps = new Set<number>();
  for (const m of modules) for (const s of m.weight.grad.keys()) allSteps.add(s);
  const steps = [...allSteps]
    .filter((s) => modules.every((m) => m.weight.grad.has(s)))
    .sort((a, b) => a - b);
  const partial = allSteps.size - steps.length;
  if (steps.length === 0) {
    throw new ImportError(
      `no step has the gradient histograms of every module (${modules.length} modules, ${allSteps.size} steps with some): log every parameter's gradient on the same steps`,
    );
  }

  let derivedNorm = false;
  const records: ImportRecord[] = steps.map((step) => {
    const loss = lossSeries?.get(step);
    let gradNorm = normSeries?.get(step) ?? null;
    if (normSeries === undefined) {
      gradNorm = histogramGradNorm(c, step);
      if (gradNorm !== null) derivedNorm = true;
    }
    return {
      step,
      ...(loss !== undefined ? { loss } : {}),
      gradNorm,
      lr: atOrBefore(lrSeries, step),
      layers: modules.map((m, i) => layerRecord(m, i + 1, step)),
    };
  });

  const explosion = findExplosion(records, modules, lossSeries, lossTag, normSeries, normTag);
  const losses = records.filter((r) => r.loss !== undefined).map((r) => r.loss!);
  const lastStep = Math.max(...steps, ...[...c.scalars.values()].flatMap((s) => [...s.keys()]));
  const firstLr =
    lrSeries && lrSeries.size > 0 ? lrSeries.get(Math.min(...lrSeries.keys()))! : null;
  const gradNormFrom =
    normTag !== null
      ? `scalar '${normTag}'`
      : derivedNorm
        ? "sum of squares of every logged parameter gradient"
        : null;
  const config: TensorBoardRunConfig = {
    source: "tensorboard",
    name: options.name ?? null,
    importVersion: 1,
    logdir: options.logdir,
    eventFiles: options.eventFiles,
    optimizer: firstLr !== null ? { type: null, lr: firstLr } : null,
    tensorboard: {
      lossTag,
      lrTag,
      gradNorm: gradNormFrom,
      histograms: histogramKind(c),
      unmappedTags: c.unmapped.size,
    },
    modules: modules.map((m, i) => ({
      layer: i + 1,
      path: m.path,
      type: "unknown",
      activation: null,
      weight: m.weight.param,
    })),
  };
  const range = `${steps[0]}..${steps[steps.length - 1]}`;
  const summary: ImportSummary = {
    status: explosion ? "exploded" : "completed",
    steps: null,
    stepsDone: lastStep,
    initialLoss: losses[0] ?? null,
    finalLoss: losses[losses.length - 1] ?? null,
    recordedSteps: records.length,
    explosion,
    message: `imported from TensorBoard: ${records.length} recorded steps (${range}) of ${modules.length} modules${explosion ? `; ${explosion.message}` : ""}`,
  };
  const notes = [
    `${modules.length} modules (${modules.map((m) => m.path).join(", ")}), ordered by name: TensorBoard does not record the forward order`,
    `${records.length} recorded steps (${range}): the steps with every module's weight gradient${partial > 0 ? `; ${partial} steps with only some modules' gradients left out` : ""}`,
    lossTag !== null
      ? `loss: scalar '${lossTag}'${losses.length < records.length ? ` (at ${losses.length} of the recorded steps)` : ""}`
      : "loss: no training-loss scalar found (--loss-tag TAG names one)",
    `global gradient norm: ${gradNormFrom ?? "not derivable (not every logged parameter has its gradient logged on the recorded steps)"}`,
    ...(lrTag !== null ? [`learning rate: scalar '${lrTag}'`] : []),
    `histograms: ${config.tensorboard.histograms}${config.tensorboard.histograms === "exact" ? " (norms from their sums of squares)" : " (TF2 buckets: norms estimated with each bucket's entries spread evenly)"}`,
    "not in TensorBoard logs, so not measurable: q and dL/dz per layer (gradPreactMeanSq), activation statistics (saturation, dead units), update ratios",
  ];
  if (c.unmapped.size > 0) {
    const list = [...c.unmapped.entries()].slice(0, 6).map(([t, why]) => `'${t}' (${why})`);
    notes.push(
      `${c.unmapped.size} tags not used: ${list.join(", ")}${c.unmapped.size > 6 ? ", ..." : ""}`,
    );
  }
  if (explosion) notes.push(explosion.message);
  return { config, records, summary, notes };
}

function findExplosion(
  records: readonly ImportRecord[],
  modules: readonly Module[],
  lossSeries: Map<number, number> | undefined,
  lossTag: string | null,
  normSeries: Map<number, number> | undefined,
  normTag: string | null,
): ImportExplosion | null {
  const candidates: ImportExplosion[] = [];
  const firstBad = (series: Map<number, number> | undefined) =>
    series
      ? [...series.entries()].filter(([, v]) => !Number.isFinite(v)).sort((a, b) => a[0] - b[0])[0]
      : undefined;
  const badLoss = firstBad(lossSeries);
  if (badLoss) {
    candidates.push({
      step: badLoss[0],
      layer: null,
      what: "loss",
      loss: badLoss[1],
      message: `exploded at step ${badLoss[0]}: the loss ('${lossTag}') is ${fmt(badLoss[1])}`,
    });
  }
  const badNorm = firstBad(normSeries);
  if (badNorm) {
    candidates.push({
      step: badNorm[0],
      layer: null,
      what: "gradient",
      loss: lossSeries?.get(badNorm[0]) ?? Number.NaN,
      message: `exploded at step ${badNorm[0]}: the gradient norm ('${normTag}') is ${fmt(badNorm[1])}`,
    });
  }
  for (const r of records) {
    if (!r.layers.some((l) => (l["nonfinite"] as number) > 0)) continue;
    // the backward pass reaches the last module first
    let at = -1;
    for (let i = modules.length - 1; i >= 0 && at < 0; i--) {
      const g = modules[i]!.all.map((s) => s.grad.get(r.step)).filter((h): h is Histogram => !!h);
      if (g.some(histogramNonFinite)) at = i;
    }
    const i = at >= 0 ? at : r.layers.findIndex((l) => (l["nonfinite"] as number) > 0);
    candidates.push({
      step: r.step,
      layer: i + 1,
      what: at >= 0 ? "dW" : "gradient",
      loss: r.loss ?? Number.NaN,
      message: `exploded at step ${r.step}: NaN/Inf in the ${at >= 0 ? "gradient" : "values"} histogram of module ${i + 1} (${modules[i]!.path})`,
    });
    break;
  }
  candidates.sort((a, b) => a.step - b.step);
  return candidates[0] ?? null;
}

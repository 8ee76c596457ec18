/**
 * Mapping TensorBoard tags to what gradscope records, by name (docs/METRICS.md, "Importing
 * TensorBoard logs"). TensorBoard knows nothing of layers: a tag is a free string, so the
 * conventions of the common writers are recognised and everything else is left unmapped and
 * listed, never guessed at.
 */

export type TagRole =
  | { role: "loss" }
  | { role: "lr" }
  | { role: "grad-norm" }
  /** A parameter's gradient (histogram) or its values (weight histogram). */
  | { role: "grad" | "param"; module: string; param: string };

/** Leading path segments that mark a gradient / a parameter value. */
const GRAD_PREFIXES = new Set(["grad", "grads", "gradient", "gradients"]);
const PARAM_PREFIXES = new Set(["weight", "weights", "param", "params", "parameter", "parameters"]);
/** Suffixes that mark a gradient: a last segment ("fc1.weight/grad") or glued on (".grad"). */
const GRAD_SEGMENT_SUFFIXES = new Set(["grad", "grads", "gradient", "gradients"]);
const GRAD_GLUED_SUFFIX = /[._-](grad|gradient)s?$/i;
/** Parameter names whose histograms are a module's parameters (PyTorch, Keras, TF slim, Flax). */
const PARAM_NAME =
  /^(weight\w*|\w*_weight|weights|kernel|bias\w*|\w*_bias|biases|w|b|gamma|beta|scale|embeddings?)$/i;
/** Parameters that are the module's weight (the one gradWeightNorm is about). */
const WEIGHT_NAME = /^(weight|weights|kernel|w|embeddings?|in_proj_weight)$/i;
/** A layer's bias. */
export const BIAS_NAME = /^(bias|biases|b)$/i;

/** Words that mark a scalar as not the training loss. */
const HELD_OUT = /(^|[/_.\-\s])(val|valid|validation|test|eval|evaluation|dev)([/_.\-\s]|$)/i;

/** "dense/kernel:0" and Keras' "dense/kernel_0" name the variable, not a tensor index. */
function stripVariableIndex(tag: string): string {
  return tag.replace(/(:0|_0)$/, (m, _g, offset: number) =>
    /(kernel|bias|weight|weights|biases|gamma|beta|embeddings)$/i.test(tag.slice(0, offset))
      ? ""
      : m,
  );
}

/** Split "a.b.weight" / "a/b/weight" into module "a.b" and parameter "weight" (separators as '.'). */
function splitParam(name: string): { module: string; param: string } | null {
  const parts = name.split(/[./]/).filter((p) => p !== "");
  if (parts.length === 0) return null;
  const last = parts[parts.length - 1]!;
  if (parts.length >= 2 && PARAM_NAME.test(last)) {
    return { module: parts.slice(0, -1).join("."), param: last };
  }
  // a tag naming a module only ("gradients/fc1"): its one parameter, taken as the weight
  return { module: parts.join("."), param: "" };
}

const LOSS_SEGMENT =
  /^((train|training|batch|epoch|step|total)[_-]?)?loss(es)?([_-]?(train|training|total|step|batch|epoch))?$/;
/** Other segments a training-loss tag may have ("train/loss", "Loss/train", "metrics/loss"). */
const LOSS_CONTEXT = new Set([
  "train",
  "training",
  "batch",
  "epoch",
  "total",
  "metrics",
  "scalars",
]);

/**
 * Whether a scalar tag is a training loss: one segment is a loss name and the others only say
 * "train", "batch", ... Held-out losses ("val_loss", "loss/test") and parts of a loss
 * ("loss/kl") are not.
 */
export function isLossTag(tag: string): boolean {
  if (HELD_OUT.test(tag)) return false;
  const parts = tag.toLowerCase().split("/");
  const at = parts.findIndex((p) => LOSS_SEGMENT.test(p));
  return at >= 0 && parts.every((p, i) => i === at || LOSS_CONTEXT.has(p) || LOSS_SEGMENT.test(p));
}

/** The role of a scalar tag, or null when gradscope does not use it. */
export function scalarRole(tag: string): TagRole | null {
  const last = (tag.split("/").pop() ?? tag).toLowerCase();
  if (HELD_OUT.test(tag)) return null;
  if (isLossTag(tag)) return { role: "loss" };
  if (/^(lr|learning[_-]?rate)(_\w+)?$/.test(last) || /^lr[-_/]/i.test(tag)) return { role: "lr" };
  const parts = tag.split("/").map((p) => p.toLowerCase());
  const gradMarked = parts.slice(0, -1).some((p) => GRAD_PREFIXES.has(p));
  if (
    /^(global_?)?(grad|gradient)s?[_-]?(global[_-]?)?norm$/.test(last) ||
    (gradMarked && /^(global_?)?norm$/.test(last))
  ) {
    return { role: "grad-norm" };
  }
  return null;
}

/** The role of a histogram tag: a parameter's gradient or values, or null (unmapped). */
export function histogramRole(rawTag: string): TagRole | null {
  let name = stripVariableIndex(rawTag.trim());
  let role: "grad" | "param" | null = null;
  const segments = name.split("/");
  const first = segments[0]!.toLowerCase();
  const last = segments[segments.length - 1]!.toLowerCase();
  if (segments.length > 1 && GRAD_PREFIXES.has(first)) {
    role = "grad";
    name = segments.slice(1).join("/");
  } else if (segments.length > 1 && GRAD_SEGMENT_SUFFIXES.has(last)) {
    role = "grad";
    name = segments.slice(0, -1).join("/");
  } else if (GRAD_GLUED_SUFFIX.test(name)) {
    role = "grad";
    name = name.replace(GRAD_GLUED_SUFFIX, "");
  } else if (segments.length > 1 && PARAM_PREFIXES.has(first)) {
    role = "param";
    name = segments.slice(1).join("/");
  }
  name = stripVariableIndex(name);
  const split = splitParam(name);
  if (split === null) return null;
  if (role === null) {
    // an unmarked histogram is a parameter's values only when it names a parameter
    if (split.param === "") return null;
    role = "param";
  }
  return { role, ...split };
}

/** Whether a parameter name is a module's weight (else bias or another parameter). */
export function isWeightName(param: string): boolean {
  return param === "" || WEIGHT_NAME.test(param);
}

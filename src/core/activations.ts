import type { FloatArray } from "./dtype.ts";
import {
  eluForward32,
  fastExp,
  sigmoidForward32,
  swishForward32,
  tanhForward32,
} from "./fast-math.ts";
import { addRowBias } from "./kernels/elementwise.ts";
import { kernelProvider } from "./kernels/provider.ts";
import { normalCdf, normalPdf } from "./special.ts";

export const ACTIVATION_NAMES = [
  "identity",
  "sigmoid",
  "tanh",
  "relu",
  "leaky-relu",
  "elu",
  "selu",
  "gelu",
  "softplus",
  "swish",
] as const;

export type ActivationName = (typeof ACTIVATION_NAMES)[number];

/** Constants of SELU (Klambauer et al. 2017), as in PyTorch. */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;
/** Default negative slope of leaky ReLU, as in PyTorch. */
export const DEFAULT_LEAKY_SLOPE = 0.01;

/**
 * An activation function phi: its value, its derivative, and the facts the probes and the
 * theory need. Scalar `value`/`derivative` serve quadrature and tables; the array methods are
 * the hot path (one loop each, no call per element).
 */
export interface Activation {
  readonly name: ActivationName;
  /** Negative slope (leaky ReLU only; 0 otherwise). */
  readonly slope: number;
  /** Output bounded on both sides (sigmoid, tanh): the `saturated` metric applies. */
  readonly bounded: boolean;
  /** Piecewise-linear with exact zero/constant pieces (identity, relu, leaky-relu). */
  readonly piecewiseLinear: boolean;
  /** sup over x of phi'(x). */
  readonly maxDerivative: number;
  value(x: number): number;
  derivative(x: number): number;
  /**
   * a[i] = phi(u[i]) for i < n. Into a Float32Array, tanh, sigmoid, swish and elu use the
   * inlined float32 kernels of fast-math.ts (at most 1 ulp from the rounded exact value).
   */
  forward(u: FloatArray, a: FloatArray, n: number): void;
  /**
   * z[r * cols + j] += b[j], then a[i] = phi(z[i]), for the rows x cols entries: a dense layer's
   * bias and its activation in one pass where a KernelProvider fuses them (the result equals
   * addRowBias then forward). Optional: without it a layer calls those two.
   */
  biasForward?(z: FloatArray, b: FloatArray, rows: number, cols: number, a: FloatArray): void;
  /** du[i] = da[i] * phi'(u[i]); `a` holds phi(u) (used where cheaper, e.g. tanh); du != da. */
  backward(u: FloatArray, a: FloatArray, da: FloatArray, du: FloatArray, n: number): void;
  /** d[i] = phi'(u[i]) (elu and softplus into a Float32Array: fast-math.ts, <= 1 ulp). */
  derivatives(u: FloatArray, a: FloatArray, d: FloatArray, n: number): void;
}

export interface ActivationOptions {
  /** Negative slope of leaky ReLU. */
  slope?: number;
}

const sigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
const swish = (x: number): number => x * sigmoid(x);
const eluValue = (x: number): number => (x > 0 ? x : Math.expm1(x));
const eluDerivative = (x: number): number => (x > 0 ? 1 : Math.exp(x));

type Scalar = (x: number) => number;

interface Spec {
  value: Scalar;
  derivative: Scalar;
  bounded: boolean;
  piecewiseLinear: boolean;
  /** Known sup of phi', or undefined to find it numerically. */
  maxDerivative?: number;
  forward?: Activation["forward"];
  derivatives?: Activation["derivatives"];
  /** A fused du = da * phi' (one pass instead of two), with the same roundings. */
  backward?: Activation["backward"];
}

function spec(name: ActivationName, slope: number): Spec {
  switch (name) {
    case "identity":
      return {
        value: (x) => x,
        derivative: () => 1,
        bounded: false,
        piecewiseLinear: true,
        maxDerivative: 1,
        forward: (u, a, n) => {
          for (let i = 0; i < n; i++) a[i] = u[i]!;
        },
        derivatives: (_u, _a, d, n) => {
          d.fill(1, 0, n);
        },
      };
    case "sigmoid":
      return {
        value: sigmoid,
        derivative: (x) => {
          const s = sigmoid(x);
          return s * (1 - s);
        },
        bounded: true,
        piecewiseLinear: false,
        maxDerivative: 0.25,
        forward: (u, a, n) => {
          if (a instanceof Float32Array) sigmoidForward32(u, a, n);
          else for (let i = 0; i < n; i++) a[i] = sigmoid(u[i]!);
        },
        // phi' = a (1 - a): the saved output is cheaper than a second exp.
        derivatives: (_u, a, d, n) => {
          for (let i = 0; i < n; i++) {
            const s = a[i]!;
            d[i] = s * (1 - s);
          }
        },
      };
    case "tanh":
      return {
        value: Math.tanh,
        derivative: (x) => {
          const t = Math.tanh(x);
          return 1 - t * t;
        },
        bounded: true,
        piecewiseLinear: false,
        maxDerivative: 1,
        // A float32 result takes the inlined kernel (<= 1 ulp, fast-math.ts); float64 keeps
        // Math.tanh bit for bit.
        forward: (u, a, n) => {
          if (a instanceof Float32Array) tanhForward32(u, a, n);
          else for (let i = 0; i < n; i++) a[i] = Math.tanh(u[i]!);
        },
        derivatives: (_u, a, d, n) => {
          for (let i = 0; i < n; i++) {
            const t = a[i]!;
            d[i] = 1 - t * t;
          }
        },
        // The two-pass backward stored phi' in du's dtype before scaling it: fround keeps that
        // rounding for float32, so the fused loop gives the same bits.
        backward: (_u, a, da, du, n) => {
          if (du instanceof Float32Array) {
            for (let i = 0; i < n; i++) {
              const t = a[i]!;
              du[i] = Math.fround(1 - t * t) * da[i]!;
            }
          } else {
            for (let i = 0; i < n; i++) {
              const t = a[i]!;
              du[i] = (1 - t * t) * da[i]!;
            }
          }
        },
      };
    case "relu":
      return {
        // NaN passes through (as in PyTorch): a NaN is data to be reported, not a zero.
        value: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
        // phi'(0) = 0, as in PyTorch.
        derivative: (x) => (x > 0 ? 1 : 0),
        bounded: false,
        piecewiseLinear: true,
        maxDerivative: 1,
        forward: (u, a, n) => {
          for (let i = 0; i < n; i++) {
            const x = u[i]!;
            a[i] = x > 0 || Number.isNaN(x) ? x : 0;
          }
        },
        derivatives: (u, _a, d, n) => {
          for (let i = 0; i < n; i++) d[i] = u[i]! > 0 ? 1 : 0;
        },
      };
    case "leaky-relu":
      return {
        value: (x) => (x > 0 ? x : slope * x),
        derivative: (x) => (x > 0 ? 1 : slope),
        bounded: false,
        piecewiseLinear: true,
        maxDerivative: Math.max(1, slope),
        forward: (u, a, n) => {
          for (let i = 0; i < n; i++) {
            const x = u[i]!;
            a[i] = x > 0 ? x : slope * x;
          }
        },
        derivatives: (u, _a, d, n) => {
          for (let i = 0; i < n; i++) d[i] = u[i]! > 0 ? 1 : slope;
        },
      };
    case "elu":
      return {
        value: eluValue,
        derivative: eluDerivative,
        bounded: false,
        piecewiseLinear: false,
        maxDerivative: 1,
        forward: (u, a, n) => {
          if (a instanceof Float32Array) eluForward32(u, a, n);
          else for (let i = 0; i < n; i++) a[i] = eluValue(u[i]!);
        },
        derivatives: (u, _a, d, n) => {
          if (d instanceof Float32Array) {
            for (let i = 0; i < n; i++) {
              const x = u[i]!;
              d[i] = x > 0 ? 1 : fastExp(Math.max(x, -110)); // e^-110 is 0 in float32
            }
          } else for (let i = 0; i < n; i++) d[i] = eluDerivative(u[i]!);
        },
      };
    case "selu":
      return {
        value: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
        derivative: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)),
        bounded: false,
        piecewiseLinear: false,
        maxDerivative: SELU_SCALE * SELU_ALPHA,
      };
    case "gelu":
      // Exact GELU x * Phi(x) (PyTorch's default, approximate="none").
      return {
        value: (x) => x * normalCdf(x),
        derivative: (x) => normalCdf(x) + x * normalPdf(x),
        bounded: false,
        piecewiseLinear: false,
      };
    case "softplus":
      return {
        value: softplus,
        derivative: sigmoid,
        bounded: false,
        piecewiseLinear: false,
        maxDerivative: 1,
        derivatives: (u, _a, d, n) => {
          if (d instanceof Float32Array) sigmoidForward32(u, d, n);
          else for (let i = 0; i < n; i++) d[i] = sigmoid(u[i]!);
        },
      };
    case "swish":
      // Swish with beta = 1, also called SiLU: x * sigmoid(x).
      return {
        value: swish,
        derivative: (x) => {
          const s = sigmoid(x);
          return s + x * s * (1 - s);
        },
        bounded: false,
        piecewiseLinear: false,
        forward: (u, a, n) => {
          if (a instanceof Float32Array) swishForward32(u, a, n);
          else for (let i = 0; i < n; i++) a[i] = swish(u[i]!);
        },
      };
  }
}

/** Maximum of a smooth unimodal-near-its-peak derivative: coarse scan then golden section. */
function numericMaxDerivative(derivative: Scalar): number {
  let bestX = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let x = -10; x <= 10; x += 0.01) {
    const v = derivative(x);
    if (v > best) {
      best = v;
      bestX = x;
    }
  }
  let lo = bestX - 0.02;
  let hi = bestX + 0.02;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100; i++) {
    const m1 = hi - g * (hi - lo);
    const m2 = lo + g * (hi - lo);
    if (derivative(m1) < derivative(m2)) lo = m1;
    else hi = m2;
  }
  return Math.max(best, derivative((lo + hi) / 2));
}

const cache = new Map<string, Activation>();

/** The activation `name` (with its leaky slope where it has one). Instances are cached. */
export function getActivation(name: ActivationName, options: ActivationOptions = {}): Activation {
  if (!ACTIVATION_NAMES.includes(name)) {
    throw new RangeError(
      `unknown activation '${String(name)}' (allowed: ${ACTIVATION_NAMES.join(", ")})`,
    );
  }
  const slope = name === "leaky-relu" ? (options.slope ?? DEFAULT_LEAKY_SLOPE) : 0;
  const key = `${name}:${slope}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const s = spec(name, slope);
  const { value, derivative } = s;
  const forward =
    s.forward ??
    ((u: FloatArray, a: FloatArray, n: number) => {
      for (let i = 0; i < n; i++) a[i] = value(u[i]!);
    });
  const derivatives =
    s.derivatives ??
    ((u: FloatArray, _a: FloatArray, d: FloatArray, n: number) => {
      for (let i = 0; i < n; i++) d[i] = derivative(u[i]!);
    });
  // A registered KernelProvider (kernels/provider.ts) gets forward and backward first, by name
  // (so HiddenBlock and ActivationLayer both use it); not leaky ReLU, whose name does not carry
  // its slope. `derivatives` has no provider method: it stays the TypeScript definition.
  const providerName = name === "leaky-relu" ? null : name;
  const tsBackward =
    s.backward ??
    ((u: FloatArray, a: FloatArray, da: FloatArray, du: FloatArray, n: number) => {
      // phi' is written into du first, then scaled by da in place (du must not alias da).
      derivatives(u, a, du, n);
      for (let i = 0; i < n; i++) du[i] = du[i]! * da[i]!;
    });
  const activation: Activation = {
    name,
    slope,
    bounded: s.bounded,
    piecewiseLinear: s.piecewiseLinear,
    maxDerivative: s.maxDerivative ?? numericMaxDerivative(derivative),
    value,
    derivative,
    forward:
      providerName === null
        ? forward
        : (u, a, n) => {
            if (kernelProvider()?.activationForward?.(providerName, u, a, n) !== true) {
              forward(u, a, n);
            }
          },
    biasForward:
      providerName === null
        ? undefined
        : (z, b, rows, cols, a) => {
            const p = kernelProvider();
            if (p?.biasActivationForward?.(providerName, z, b, rows, cols, a) !== true) {
              addRowBias(z, b, rows, cols);
              activation.forward(z, a, rows * cols);
            }
          },
    derivatives,
    backward:
      providerName === null
        ? tsBackward
        : (u, a, da, du, n) => {
            const p = kernelProvider();
            if (p?.activationBackward?.(providerName, u, a, da, du, n) !== true) {
              tsBackward(u, a, da, du, n);
            }
          },
  };
  cache.set(key, activation);
  return activation;
}

export function isActivationName(name: string): name is ActivationName {
  return (ACTIVATION_NAMES as readonly string[]).includes(name);
}

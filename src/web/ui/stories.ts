import { ACTIVATION_NAMES } from "../../core/activations.ts";
import { formatNumber } from "../../report/format.ts";
import { categorical } from "../../report/palette.ts";
import type { ActivationTable } from "../../theory/demos/activation-table.ts";
import type { MatrixPowerDemo } from "../../theory/demos/matrix-power.ts";
import type { FigureClient } from "../figures.ts";
import { FigureSlot } from "../figures.ts";
import { defaultLabInput, type LabInput } from "../lab-options.ts";
import { LabSession } from "../lab-session.ts";
import type { ReadyMessage } from "../protocol.ts";
import { encodeMatrix, MAX_POWER_LAYERS, parseMatrix, quoteValue } from "../url-state.ts";
import { h, replace } from "./dom.ts";
import { meanFieldText, verdictLine } from "./lab-view.ts";

/** The guided pages: matrix powers, an activation's slope, a deep sigmoid network. */

export interface StoryHost {
  figures: FigureClient;
  /** The story's own state changed (for the URL). */
  changed(): void;
  /** Open a configuration in the lab. */
  openInLab(input: LabInput): void;
  /** Open the side-by-side comparison with A = `input`. */
  openComparison(input: LabInput): void;
}

function debounce(f: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (t !== null) clearTimeout(t);
    t = setTimeout(() => {
      t = null;
      f();
    }, ms);
  };
}

function field(
  id: string,
  label: string,
  control: HTMLElement,
  error: HTMLElement,
  hint?: string,
): HTMLElement {
  return h(
    "div",
    { class: "opt" },
    h("label", { for: id }, label),
    control,
    hint ? h("span", { class: "opt-hint" }, hint) : null,
    error,
  );
}

const MATRIX_PRESETS: readonly { label: string; matrix: number[][] }[] = [
  {
    label: "Rotation × 0.95: vanishes",
    matrix: [
      [0.95 * Math.cos(0.3), -0.95 * Math.sin(0.3)],
      [0.95 * Math.sin(0.3), 0.95 * Math.cos(0.3)],
    ].map((r) => r.map((v) => Number(v.toFixed(6)))),
  },
  {
    label: "Rotation × 1.05: explodes",
    matrix: [
      [1.05 * Math.cos(0.3), -1.05 * Math.sin(0.3)],
      [1.05 * Math.sin(0.3), 1.05 * Math.cos(0.3)],
    ].map((r) => r.map((v) => Number(v.toFixed(6)))),
  },
  {
    label: "Jordan block: grows slowly",
    matrix: [
      [1, 1],
      [0, 1],
    ],
  },
  {
    label: "Orthogonal: keeps its size",
    matrix: [
      [0, 1],
      [-1, 0],
    ],
  },
  {
    label: "Mixed: 1.1 and 0.5",
    matrix: [
      [1.1, 0.3, 0],
      [0, 0.5, 0.2],
      [0, 0, 0.8],
    ],
  },
];

/** Story 1: a linear network with one shared matrix computes Wⁿx; ρ(W) decides everything. */
export class MatrixStory {
  readonly element: HTMLElement;
  matrix: number[][];
  layers: number;
  private readonly textarea: HTMLTextAreaElement;
  private readonly layersInput: HTMLInputElement;
  private readonly matrixError: HTMLElement;
  private readonly layersError: HTMLElement;
  private readonly message: HTMLElement;
  private readonly details: HTMLElement;
  private readonly slot: FigureSlot;

  constructor(private readonly host: StoryHost) {
    this.matrix = [];
    this.layers = 30;
    this.matrixError = h("span", { class: "opt-error", id: "matrix-error" });
    this.layersError = h("span", { class: "opt-error", id: "matrix-layers-error" });
    this.textarea = h("textarea", {
      id: "matrix-input",
      rows: 4,
      cols: 28,
      spellcheck: "false",
      "aria-describedby": "matrix-error matrix-hint",
    });
    this.layersInput = h("input", {
      id: "matrix-layers",
      type: "text",
      inputmode: "numeric",
      "aria-describedby": "matrix-layers-error",
    });
    const update = debounce(() => this.read(), 300);
    this.textarea.addEventListener("input", update);
    this.layersInput.addEventListener("input", update);
    this.message = h("p", { class: "verdict", id: "matrix-message", "aria-live": "polite" });
    this.details = h("p", { class: "story-details", id: "matrix-details" });
    this.slot = new FigureSlot(host.figures, {
      name: "matrix-power",
      caption: "Norm of Wⁿ against the number of layers n (log scale), with ρⁿ dashed.",
      height: 420,
      onInfo: (info) => this.showInfo(info as MatrixPowerDemo & { lastNorm: number }),
      onError: (m) => {
        if (m) this.matrixError.textContent = m;
      },
    });
    this.element = h(
      "section",
      { class: "story", "aria-labelledby": "story-matrix-title" },
      h("h2", { id: "story-matrix-title" }, "Matrix powers: depth multiplies"),
      h(
        "p",
        { class: "lede" },
        "Take a deep network with identity activations whose layers all share one weight matrix W. After n layers the signal is Wⁿx, and on the way back the gradient is multiplied by (Wᵀ)ⁿ. Whether it explodes or vanishes is decided by one number, the spectral radius ρ(W), the largest |eigenvalue|: ‖Wⁿ‖ grows like ρⁿ.",
      ),
      h(
        "div",
        { class: "story-controls" },
        h(
          "div",
          { class: "opt" },
          h("label", { for: "matrix-input" }, "Weight matrix W (one row per line)"),
          this.textarea,
          h(
            "span",
            { class: "opt-hint", id: "matrix-hint" },
            "entries separated by spaces or commas; at most 8×8",
          ),
          this.matrixError,
        ),
        field(
          "matrix-layers",
          "Layers n",
          this.layersInput,
          this.layersError,
          `1 to ${MAX_POWER_LAYERS}`,
        ),
        h(
          "div",
          { class: "presets", role: "group", "aria-label": "Example matrices" },
          ...MATRIX_PRESETS.map((p) =>
            h(
              "button",
              { type: "button", class: "small", onclick: () => this.set(p.matrix, this.layers) },
              p.label,
            ),
          ),
        ),
      ),
      this.message,
      this.details,
      this.slot.element,
    );
  }

  set(matrix: number[][], layers: number): void {
    this.matrix = matrix;
    this.layers = layers;
    this.textarea.value = matrix.map((r) => r.join("  ")).join("\n");
    this.layersInput.value = String(layers);
    this.read();
  }

  /** Show a value from the URL that was rejected. */
  reject(key: "matrix" | "layers", text: string, message: string): void {
    if (key === "matrix") {
      this.textarea.value = text;
      this.matrixError.textContent = message;
      this.textarea.setAttribute("aria-invalid", "true");
    } else {
      this.layersInput.value = text;
      this.layersError.textContent = message;
      this.layersInput.setAttribute("aria-invalid", "true");
    }
  }

  private read(): void {
    let ok = true;
    try {
      this.matrix = parseMatrix(this.textarea.value);
      this.matrixError.textContent = "";
      this.textarea.removeAttribute("aria-invalid");
    } catch (err) {
      ok = false;
      this.matrixError.textContent = (err as Error).message;
      this.textarea.setAttribute("aria-invalid", "true");
    }
    const n = Number(this.layersInput.value.trim());
    if (Number.isInteger(n) && n >= 1 && n <= MAX_POWER_LAYERS) {
      this.layers = n;
      this.layersError.textContent = "";
      this.layersInput.removeAttribute("aria-invalid");
    } else {
      ok = false;
      this.layersError.textContent = `layers must be an integer between 1 and ${MAX_POWER_LAYERS} (got ${quoteValue(this.layersInput.value)})`;
      this.layersInput.setAttribute("aria-invalid", "true");
    }
    this.message.classList.toggle("stale", !ok);
    this.details.classList.toggle("stale", !ok);
    this.slot.element.classList.toggle("stale", !ok);
    if (!ok) return;
    this.host.changed();
    const matrix = this.matrix;
    const layers = this.layers;
    this.slot.update((width) => ({
      kind: "matrixPower",
      matrix,
      layers,
      frame: { width, height: 420, subtitle: `W = ${encodeMatrix(matrix).replace(/;/g, " ; ")}` },
    }));
  }

  private showInfo(d: MatrixPowerDemo & { lastNorm: number }): void {
    this.message.textContent = d.message;
    this.message.dataset.growth = d.growth;
    const eig = d.eigenvalues
      .map((e) =>
        e.im === 0
          ? formatNumber(e.re, 4)
          : `${formatNumber(e.re, 4)} ${e.im < 0 ? "−" : "+"} ${formatNumber(Math.abs(e.im), 4)}i`,
      )
      .join(", ");
    this.details.textContent = `Eigenvalues: ${eig}. Spectral radius ρ = ${formatNumber(d.spectralRadius, 6)}; measured per-layer factor ‖Wⁿ‖^(1/n) = ${formatNumber(d.effectiveFactor, 6)}; ‖W^${d.layers}‖₂ = ${formatNumber(d.lastNorm, 4)}.`;
  }
}

/** Story 2: an activation's derivative, and the region where it passes gradient. */
export class ActivationStory {
  readonly element: HTMLElement;
  fn = "sigmoid";
  private readonly select: HTMLSelectElement;
  private readonly text: HTMLElement;
  private readonly slot: FigureSlot;

  constructor(private readonly host: StoryHost) {
    this.select = h(
      "select",
      { id: "activation-fn" },
      ...ACTIVATION_NAMES.map((n) => h("option", { value: n }, n)),
    );
    this.select.addEventListener("change", () => {
      this.fn = this.select.value;
      this.host.changed();
      this.draw();
    });
    this.text = h("p", { class: "verdict", id: "activation-text", "aria-live": "polite" });
    this.slot = new FigureSlot(host.figures, {
      name: "activation",
      caption:
        "The activation (left) and its derivative (right); shaded where φ′ is at least 1% of its maximum.",
      height: 380,
      onInfo: (info) => this.showInfo(info as Omit<ActivationTable, "points">),
    });
    this.element = h(
      "section",
      { class: "story", "aria-labelledby": "story-activation-title" },
      h(
        "h2",
        { id: "story-activation-title" },
        "An activation's slope: where gradient gets through",
      ),
      h(
        "p",
        { class: "lede" },
        "Backpropagation multiplies the gradient by φ′(u) at every unit of every layer. The sigmoid's derivative is at most 1/4, at u = 0, and almost zero once |u| passes 5: a saturated unit passes no gradient at all. Compare with tanh (at most 1) and ReLU (exactly 1 for u > 0).",
      ),
      h(
        "div",
        { class: "story-controls" },
        field("activation-fn", "Activation", this.select, h("span")),
      ),
      this.text,
      this.slot.element,
    );
  }

  set(fn: string): void {
    this.fn = fn;
    this.select.value = fn;
    this.draw();
  }

  private draw(): void {
    const name = this.fn;
    this.slot.update((width) => ({
      kind: "activation",
      name,
      slope: 0.01,
      frame: { width, height: 380 },
    }));
  }

  private showInfo(t: Omit<ActivationTable, "points">): void {
    const region = t.healthyRegion;
    const end = (v: number | null, sign: string) => (v === null ? `${sign}∞` : formatNumber(v, 4));
    const max = t.maxDerivative;
    const depth = 20;
    const through =
      max < 1
        ? `Through ${depth} layers the gradient is multiplied by at most ${formatNumber(max, 3)}^${depth} = ${formatNumber(max ** depth, 3)} by the derivatives alone.`
        : `Its derivative reaches ${formatNumber(max, 3)}, so the activation alone need not shrink the gradient; the weights decide.`;
    this.text.textContent = `${t.name}: φ′ is at most ${formatNumber(max, 4)}; it stays above 1% of that for u in [${end(region.lo, "−")}, ${end(region.hi, "+")}]. ${through}`;
  }
}

/**
 * Story 3's fixed axes: layer 1..100 and 10^-90..10^5 hold every depth the slider reaches
 * (at depth 100 layer 1's gradient is about 10^-83), so the left end visibly falls.
 */
const DEEP_Y: [number, number] = [1e-90, 1e5];

/** The network of story 3: the classic sigmoid with small uniform weights. */
export function deepSigmoidInput(depth: number): LabInput {
  return {
    ...defaultLabInput(),
    depth,
    width: 64,
    activation: "sigmoid",
    init: "standard-uniform",
  };
}

/** Story 3: a deep sigmoid network at initialization: the gradient is gone before layer 1. */
export class DeepStory {
  readonly element: HTMLElement;
  layers = 30;
  private readonly range: HTMLInputElement;
  private readonly out: HTMLOutputElement;
  private readonly verdict: HTMLElement;
  private readonly meanField: HTMLElement;
  private readonly slot: FigureSlot;
  private readonly session: LabSession;
  private started = false;

  constructor(private readonly host: StoryHost) {
    this.range = h("input", {
      id: "deep-depth",
      type: "range",
      min: 2,
      max: 100,
      step: 1,
      "aria-describedby": "deep-depth-out",
    });
    this.out = h("output", { id: "deep-depth-out", for: "deep-depth" });
    const update = debounce(() => {
      this.layers = Number(this.range.value);
      this.host.changed();
      this.probe();
    }, 150);
    this.range.addEventListener("input", () => {
      this.out.textContent = `${this.range.value} layers`;
      update();
    });
    this.verdict = h("p", { class: "verdict", id: "deep-verdict", "aria-live": "polite" });
    this.meanField = h("p", { class: "mean-field" });
    this.slot = new FigureSlot(host.figures, {
      name: "deep-sigmoid-gradient",
      caption:
        "Weight-gradient norm by layer of the sigmoid network at initialization (log scale), mean-field expectation dashed.",
      height: 420,
    });
    this.session = new LabSession((m) => {
      if (m.type === "ready") this.show(m);
      else if (m.type === "error") this.verdict.textContent = m.message;
    });
    this.element = h(
      "section",
      { class: "story", "aria-labelledby": "story-deep-title" },
      h("h2", { id: "story-deep-title" }, "A deep sigmoid network vanishes"),
      h(
        "p",
        { class: "lede" },
        "Width 64, sigmoid units, weights uniform in ±1/√64 (PyTorch's old default): on the way down every layer multiplies the mean-square gradient by σw²·E[φ′²] ≈ 1/3 × 1/16 ≈ 1/50, so with 30 layers, layer 1 gets about 10⁻²⁵ of the last layer's gradient. Drag the depth and watch the left end fall.",
      ),
      h(
        "div",
        { class: "story-controls" },
        h(
          "div",
          { class: "opt" },
          h("label", { for: "deep-depth" }, "Depth"),
          this.range,
          this.out,
        ),
        h(
          "div",
          { class: "presets" },
          h(
            "button",
            { type: "button", onclick: () => this.host.openInLab(deepSigmoidInput(this.layers)) },
            "Train it in the lab",
          ),
          h(
            "button",
            {
              type: "button",
              onclick: () => this.host.openComparison(deepSigmoidInput(this.layers)),
            },
            "Try the remedies side by side",
          ),
        ),
      ),
      this.verdict,
      this.meanField,
      this.slot.element,
    );
  }

  set(layers: number): void {
    this.layers = Math.max(2, Math.min(100, layers));
    this.range.value = String(this.layers);
    this.out.textContent = `${this.layers} layers`;
    this.probe();
  }

  private probe(): void {
    this.started = true;
    this.verdict.textContent = "Probing…";
    this.session.configure(deepSigmoidInput(this.layers));
  }

  private show(m: ReadyMessage): void {
    const p = m.probe;
    const s = p.result.summary;
    replace(this.verdict, ...verdictLine(`${m.config.depth} sigmoid layers: `, s));
    this.verdict.dataset.verdict = s.verdict;
    this.meanField.textContent = p.meanField ? meanFieldText(p.meanField) : "";
    const measured = p.result.layers.map((l) => ({ x: l.layer, y: l.gradWeightNorm }));
    const theory = (p.gradientTheory?.gradWeightNorm ?? []).map((t) => ({
      x: t.layer,
      y: t.value,
    }));
    const color = categorical(0);
    this.slot.host.dataset.depth = String(m.config.depth);
    this.slot.host.dataset.yDomain = DEEP_Y.join(",");
    this.slot.update((width) => ({
      kind: "panels",
      data: {
        title: "Weight-gradient norm by layer at initialization",
        subtitle: `depth ${m.config.depth}, width 64, batch ${m.config.batch}, seed ${m.config.seed}; the axes are the same at every depth`,
        legend: [
          { label: "measured (sigmoid, standard-uniform)", color, shape: "line-dot" },
          ...(theory.length > 0
            ? [{ label: "mean-field expectation", color, shape: "dashed" as const }]
            : []),
        ],
        panels: [
          {
            title: "",
            xLabel: "layer (1 = input side)",
            yLabel: "‖∂L/∂W‖ (log scale)",
            xDomain: [1, 100],
            yDomain: DEEP_Y,
            series: [
              { label: "measured", color, points: measured, dots: measured.length <= 40 },
              ...(theory.length > 0
                ? [{ label: "theory", color, points: theory, dashed: true }]
                : []),
            ],
          },
        ],
      },
      frame: { width, height: 420 },
    }));
  }

  get active(): boolean {
    return this.started;
  }
}

import type { NormPosition } from "../../core/transformer/block.ts";
import { formatNumber } from "../../report/format.ts";
import type { LegendItem } from "../../report/frame.ts";
import { categorical, MUTED } from "../../report/palette.ts";
import type { DeepClient } from "../deep-client.ts";
import {
  type DeepAnswer,
  type RecurrentAnswer,
  TIME_BATCH,
  TIME_WIDTH,
  type TransformerAnswer,
} from "../deep-protocol.ts";
import type { FigureClient } from "../figures.ts";
import { FigureSlot } from "../figures.ts";
import type { LinePanelsData } from "../lab-figures.ts";
import { AxisMemory } from "../scales.ts";
import { NORM_LIMITS, TIME_CELLS, TIME_LIMITS, TIME_PHIS, type TimeState } from "../url-state.ts";
import { h, replace } from "./dom.ts";
import { verdictLine } from "./lab-view.ts";

/**
 * Two pages on architectures beyond the MLP (issue #15): gradients through time in a
 * recurrent net, and where LayerNorm sits in a transformer. The probes run in deep-worker.ts;
 * the axes are fixed (they widen only if a value needs it, until "reset axes").
 */

export interface DeepHost {
  figures: FigureClient;
  probes: DeepClient;
  changed(): void;
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

function range(id: string, min: number, max: number, step: number): HTMLInputElement {
  return h("input", { id, type: "range", min, max, step, "aria-describedby": `${id}-out` });
}

/** Base axis of the time page: 10^-60 .. 10^5 (it widens only for a value outside). */
const TIME_AXIS: [number, number] = [1e-60, 1e5];
/** Base axis of the LayerNorm page's |dW_ffn2|: 10^0 .. 10^4. */
const NORM_AXIS: [number, number] = [1, 1e4];

/** "Through time": |dL/dh_t| per time step of a recurrent net at initialization. */
export class TimeStory {
  readonly element: HTMLElement;
  state: TimeState;
  private readonly cell: HTMLSelectElement;
  private readonly phi: HTMLSelectElement;
  private readonly phiField: HTMLElement;
  private readonly rho: HTMLInputElement;
  private readonly rhoOut: HTMLOutputElement;
  private readonly steps: HTMLInputElement;
  private readonly stepsOut: HTMLOutputElement;
  private readonly verdict: HTMLElement;
  private readonly theory: HTMLElement;
  private readonly cli: HTMLElement;
  private readonly slot: FigureSlot;
  private readonly axes = new AxisMemory(3);
  private last: RecurrentAnswer | null = null;

  constructor(private readonly host: DeepHost) {
    this.state = { cell: "rnn", phi: "tanh", rho: 1, steps: 50 };
    this.cell = h(
      "select",
      { id: "time-cell" },
      ...TIME_CELLS.map((c) => h("option", { value: c }, c)),
    );
    this.phi = h(
      "select",
      { id: "time-phi" },
      ...TIME_PHIS.map((c) => h("option", { value: c }, c)),
    );
    this.rho = range("time-rho", TIME_LIMITS.minRho, TIME_LIMITS.maxRho, 0.01);
    this.rhoOut = h("output", { id: "time-rho-out", for: "time-rho" });
    this.steps = range("time-steps", TIME_LIMITS.minSteps, TIME_LIMITS.maxSteps, 1);
    this.stepsOut = h("output", { id: "time-steps-out", for: "time-steps" });
    const probe = debounce(() => this.probe(), 120);
    const read = () => {
      this.state = {
        cell: this.cell.value as TimeState["cell"],
        phi: this.phi.value,
        rho: Number(this.rho.value),
        steps: Number(this.steps.value),
      };
      this.showControls();
      this.host.changed();
      probe();
    };
    for (const c of [this.cell, this.phi]) c.addEventListener("change", read);
    for (const c of [this.rho, this.steps]) c.addEventListener("input", read);
    this.phiField = h(
      "div",
      { class: "opt" },
      h("label", { for: "time-phi" }, "Activation φ (rnn)"),
      this.phi,
    );
    this.verdict = h("p", { class: "verdict", id: "time-verdict", "aria-live": "polite" });
    this.theory = h("p", { class: "mean-field", id: "time-theory" });
    this.cli = h("code", { id: "time-cli" });
    this.slot = new FigureSlot(host.figures, {
      name: "through-time",
      caption:
        "|∂L/∂h_t| per time step t at initialization (log scale, fixed axes), with the linear RNN's ρ^(T−t) dashed.",
      height: 440,
      minIntervalMs: 100,
    });
    this.axes.fit("y", TIME_AXIS);
    this.element = h(
      "section",
      { class: "story", "aria-labelledby": "story-time-title" },
      h("h2", { id: "story-time-title" }, "Through time: a recurrent net forgets its first steps"),
      h(
        "p",
        { class: "lede" },
        "A recurrent net applies the same weights W_hh at every time step, so backpropagation through time multiplies the gradient by Wᵀ_hh·diag(φ′) once per step back: a deep network whose depth is the sequence length. With an orthogonal W_hh scaled by ρ, a linear RNN's gradient changes by exactly ρ per step back (ρ^(T−t), dashed). Drag the sequence length and watch the first steps fade.",
      ),
      h(
        "div",
        { class: "story-controls" },
        h("div", { class: "opt" }, h("label", { for: "time-cell" }, "Cell"), this.cell),
        this.phiField,
        h(
          "div",
          { class: "opt" },
          h("label", { for: "time-rho" }, "Recurrent gain ρ (W_hh = ρ·orthogonal)"),
          this.rho,
          this.rhoOut,
        ),
        h(
          "div",
          { class: "opt" },
          h("label", { for: "time-steps" }, "Sequence length T"),
          this.steps,
          this.stepsOut,
        ),
        h(
          "div",
          { class: "presets" },
          h(
            "button",
            {
              type: "button",
              class: "small",
              id: "time-reset-axes",
              onclick: () => this.resetAxes(),
            },
            "Reset axes",
          ),
        ),
      ),
      this.verdict,
      this.theory,
      this.slot.element,
      h("p", { class: "story-details" }, "In a terminal: ", this.cli),
    );
  }

  set(state: TimeState): void {
    this.state = { ...state };
    this.cell.value = state.cell;
    this.phi.value = state.phi;
    this.rho.value = String(state.rho);
    this.steps.value = String(state.steps);
    this.showControls();
    this.probe();
  }

  private showControls(): void {
    const s = this.state;
    this.phiField.hidden = s.cell !== "rnn";
    this.rhoOut.textContent = `ρ = ${formatNumber(s.rho, 3)}`;
    this.stepsOut.textContent = `T = ${s.steps} steps`;
    const words = ["gradscope probe --arch", s.cell, "--seq-len", String(s.steps)];
    words.push("--width", String(TIME_WIDTH), "--batch", String(TIME_BATCH));
    if (s.cell === "rnn" && s.phi !== "tanh") words.push("--activation", s.phi);
    if (s.rho !== 1) words.push("--recurrent-gain", String(s.rho));
    this.cli.textContent = words.join(" ");
  }

  private resetAxes(): void {
    this.axes.reset();
    this.axes.fit("y", TIME_AXIS);
    if (this.last) this.draw(this.last);
  }

  private probe(): void {
    const s = this.state;
    this.verdict.classList.add("pending");
    if (!this.last) this.verdict.textContent = "Probing the recurrent net…";
    this.host.probes.request(
      "time",
      { kind: "recurrent", arch: s.cell, activation: s.phi, rho: s.rho, seqLen: s.steps },
      (a: DeepAnswer) => {
        this.verdict.classList.remove("pending");
        if ("error" in a) {
          this.verdict.textContent = `Cannot probe this net: ${a.error}`;
          return;
        }
        if (a.kind !== "recurrent") return;
        this.last = a.result;
        this.show(a.result);
        this.draw(a.result);
      },
    );
  }

  private show(r: RecurrentAnswer): void {
    const s = r.summary;
    replace(
      this.verdict,
      ...verdictLine(
        `${r.config.arch}, T = ${r.config.seqLen}, ρ = ${formatNumber(r.config.recurrentGain, 3)}: `,
        s,
      ),
    );
    this.verdict.dataset.verdict = s.verdict;
    this.verdict.dataset.steps = String(r.config.seqLen);
    const p = r.theory.pascanu;
    if (p) {
      const phi = r.config.activation;
      const product = p.perStepBound;
      const condition = p.vanishingGuaranteed
        ? `γ·σ_max = ${formatNumber(product, 3)} < 1: the gradient must vanish (Pascanu's sufficient condition, σ_max < 1/γ = ${formatNumber(p.threshold, 3)})`
        : p.explodingPossible
          ? `σ_max > 1/γ = ${formatNumber(p.threshold, 3)}: exploding is possible (Pascanu's necessary condition holds; it does not say it happens: saturation of φ can still make the gradient vanish)`
          : `σ_max = 1/γ: on the boundary between Pascanu's two conditions`;
      this.theory.textContent = `Pascanu, Mikolov & Bengio (2013): |∂L/∂h_t| ≤ (γ·σ_max)^(T−t)·|∂L/∂h_T|, with γ = sup|φ′| = ${formatNumber(p.gamma, 3)} (${phi}) and σ_max(W_hh) = ${formatNumber(p.sigmaMax, 4)}. ${condition}.`;
    } else {
      this.theory.textContent = `${r.theory.note}. Pascanu's bound applies to the vanilla RNN; the dashed line is the linear RNN's ρ^(T−t) for comparison.`;
    }
  }

  private draw(r: RecurrentAnswer): void {
    const steps = r.timeSteps;
    const T = r.config.seqLen;
    const rho = r.config.recurrentGain;
    const last = steps[steps.length - 1]?.gradHiddenNorm ?? Number.NaN;
    const measured = steps.map((m) => ({ x: m.t, y: m.gradHiddenNorm }));
    const linear = steps.map((m) => ({ x: m.t, y: last * Math.abs(rho) ** (T - m.t) }));
    const series: LinePanelsData["panels"][number]["series"] = [
      { label: "measured", color: categorical(0), points: measured, dots: T <= 60 },
      { label: "linear RNN", color: categorical(3), points: linear, dashed: true },
    ];
    const legend: LegendItem[] = [
      {
        label: `measured |∂L/∂h_t| (${r.config.arch}${r.config.arch === "rnn" ? `, ${r.config.activation}` : ""})`,
        color: categorical(0),
        shape: "line",
      },
      { label: "linear RNN: |∂L/∂h_T|·ρ^(T−t)", color: categorical(3), shape: "dashed" },
    ];
    const p = r.theory.pascanu;
    const bound = r.theory.boundProfile;
    if (p && bound && Math.abs(p.perStepBound - Math.abs(rho)) > 1e-9) {
      series.push({
        label: "Pascanu bound",
        color: MUTED,
        points: bound.map((b, i) => ({ x: i + 1, y: last * b })),
        dashed: true,
      });
      legend.push({
        label: "Pascanu's bound (γ·σ_max)^(T−t)·|∂L/∂h_T|",
        color: MUTED,
        shape: "dashed",
      });
    } else if (p) {
      legend.push({
        label: "(Pascanu's bound is the same line: γ·σ_max = ρ)",
        color: MUTED,
        shape: "none",
      });
    }
    const values = [...measured, ...linear]
      .map((q) => q.y)
      .filter((v) => v > 0 && Number.isFinite(v));
    const [lo, hi] = this.axes.fit("y", values);
    this.slot.host.dataset.yDomain = `${lo},${hi}`;
    this.slot.host.dataset.steps = String(T);
    this.slot.update((width) => ({
      kind: "panels",
      data: {
        title: `Gradient through time: ${r.config.arch}, T = ${T}`,
        subtitle: `probe at initialization (Gaussian inputs, random projection of h_T); width ${r.config.width}, batch ${r.config.batch}, W_hh = ρ·orthogonal, ρ = ${formatNumber(rho, 3)}`,
        legend,
        panels: [
          {
            title: "",
            xLabel: "time step t (T = the last, where the loss is)",
            yLabel: "|∂L/∂h_t| (log scale)",
            xDomain: [1, TIME_LIMITS.maxSteps],
            yDomain: [lo, hi],
            series,
          },
        ],
      },
      frame: { width, height: 440 },
    }));
  }
}

const POSITIONS: readonly { id: NormPosition; title: string; note: string }[] = [
  {
    id: "post",
    title: "post-LN (the original Transformer)",
    note: "LN after the residual sum: x ← LN(x + f(x))",
  },
  { id: "pre", title: "pre-LN (GPT-2)", note: "LN inside the branch: x ← x + f(LN(x))" },
  {
    id: "deepnorm",
    title: "DeepNorm (Wang et al. 2022)",
    note: "x ← LN(α·x + f(x)), α = (2N)^¼",
  },
];

/** "Where LayerNorm sits": per-block |dW_ffn2| at initialization, post / pre / DeepNorm. */
export class NormStory {
  readonly element: HTMLElement;
  blocks = 12;
  private readonly range: HTMLInputElement;
  private readonly out: HTMLOutputElement;
  private readonly slots: FigureSlot[];
  private readonly verdicts: HTMLElement[];
  private readonly axes = new AxisMemory(3);
  private readonly results = new Map<NormPosition, TransformerAnswer>();

  constructor(private readonly host: DeepHost) {
    this.range = range("norm-blocks", NORM_LIMITS.minBlocks, NORM_LIMITS.maxBlocks, 1);
    this.out = h("output", { id: "norm-blocks-out", for: "norm-blocks" });
    const probe = debounce(() => this.probe(), 150);
    this.range.addEventListener("input", () => {
      this.blocks = Number(this.range.value);
      this.out.textContent = `${this.blocks} blocks`;
      this.host.changed();
      probe();
    });
    this.axes.fit("y", NORM_AXIS);
    this.slots = POSITIONS.map(
      (p) =>
        new FigureSlot(host.figures, {
          name: `norm-${p.id}`,
          caption: `${p.title}: ‖∂L/∂W₂‖ of each block's FFN output weight at initialization (log scale, the same axis in all three).`,
          height: 380,
          minIntervalMs: 100,
        }),
    );
    this.verdicts = POSITIONS.map((p) =>
      h("p", { class: "verdict", id: `norm-${p.id}-verdict`, "aria-live": "polite" }),
    );
    this.element = h(
      "section",
      { class: "story wide", "aria-labelledby": "story-norm-title" },
      h("h2", { id: "story-norm-title" }, "Where LayerNorm sits"),
      h(
        "p",
        { class: "lede" },
        "The same transformer encoder (width 64, 4 heads, FFN 256, ReLU, Xavier init, sequences of 16 tokens) with LayerNorm in three places. Xiong et al. (2020) show that at initialization post-LN's gradients are largest near the output, which is why it needs a learning-rate warm-up, while pre-LN's are about the same size in every block; DeepNorm keeps post-LN's placement but up-weights the residual path. The three panels share one log axis: compare heights, not only shapes.",
      ),
      h(
        "div",
        { class: "story-controls" },
        h(
          "div",
          { class: "opt" },
          h("label", { for: "norm-blocks" }, "Blocks N"),
          this.range,
          this.out,
        ),
        h(
          "div",
          { class: "presets" },
          h(
            "button",
            {
              type: "button",
              class: "small",
              id: "norm-reset-axes",
              onclick: () => this.resetAxes(),
            },
            "Reset axes",
          ),
        ),
      ),
      h(
        "div",
        { class: "norm-grid" },
        ...POSITIONS.map((_p, i) =>
          h("div", { class: "norm-col" }, this.verdicts[i]!, this.slots[i]!.element),
        ),
      ),
      h(
        "p",
        { class: "story-details" },
        "In a terminal: ",
        h(
          "code",
          { id: "norm-cli" },
          "gradscope probe --arch transformer --depth N --norm-position post|pre|deepnorm",
        ),
      ),
    );
  }

  set(blocks: number): void {
    this.blocks = Math.max(NORM_LIMITS.minBlocks, Math.min(NORM_LIMITS.maxBlocks, blocks));
    this.range.value = String(this.blocks);
    this.out.textContent = `${this.blocks} blocks`;
    this.probe();
  }

  private resetAxes(): void {
    this.axes.reset();
    this.axes.fit("y", NORM_AXIS);
    this.drawAll();
  }

  private probe(): void {
    const depth = this.blocks;
    for (const [i, v] of this.verdicts.entries())
      if (!this.results.has(POSITIONS[i]!.id)) v.textContent = "Probing…";
    document.getElementById("norm-cli")!.textContent =
      `gradscope probe --arch transformer --depth ${depth} --norm-position post|pre|deepnorm`;
    POSITIONS.forEach((p, i) => {
      this.verdicts[i]!.classList.add("pending");
      this.host.probes.request(
        `norm-${p.id}`,
        { kind: "transformer", depth, normPosition: p.id },
        (a) => {
          this.verdicts[i]!.classList.remove("pending");
          if ("error" in a) {
            this.verdicts[i]!.textContent = `Cannot probe: ${a.error}`;
            return;
          }
          if (a.kind !== "transformer") return;
          this.results.set(p.id, a.result);
          const s = a.result.summary;
          const ls = a.result.layers;
          const ratio =
            (ls[ls.length - 1]?.gradWeightNorm ?? Number.NaN) /
            (ls[0]?.gradWeightNorm ?? Number.NaN);
          replace(
            this.verdicts[i]!,
            ...verdictLine(`${p.title}, ${ls.length} blocks: `, s),
            ` Last block ÷ first: ${formatNumber(ratio, 3)}.`,
          );
          this.verdicts[i]!.dataset.verdict = s.verdict;
          this.verdicts[i]!.dataset.blocks = String(ls.length);
          this.drawAll();
        },
      );
    });
  }

  private drawAll(): void {
    const all: number[] = [];
    for (const r of this.results.values()) for (const m of r.layers) all.push(m.gradWeightNorm);
    const [lo, hi] = this.axes.fit("y", all);
    POSITIONS.forEach((p, i) => {
      const r = this.results.get(p.id);
      if (!r) return;
      const slot = this.slots[i]!;
      slot.host.dataset.yDomain = `${lo},${hi}`;
      slot.host.dataset.blocks = String(r.layers.length);
      const points = r.layers.map((m) => ({ x: m.layer, y: m.gradWeightNorm }));
      slot.update((width) => ({
        kind: "panels",
        data: {
          title: p.title,
          subtitle: `${p.note}; N = ${r.layers.length} blocks`,
          legend: [
            {
              label: "‖∂L/∂W₂‖ per block (FFN output weight)",
              color: categorical(i),
              shape: "line-dot",
            },
          ],
          panels: [
            {
              title: "",
              xLabel: "block (1 = input side)",
              yLabel: "‖∂L/∂W₂‖ (log scale)",
              xDomain: [1, NORM_LIMITS.maxBlocks],
              yDomain: [lo, hi],
              series: [{ label: p.id, color: categorical(i), points, dots: points.length <= 24 }],
            },
          ],
        },
        frame: { width, height: 380 },
      }));
    });
  }
}

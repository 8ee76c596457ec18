import { resolveTrainConfig } from "../../experiment/config.ts";
import { describeNetwork } from "../../report/figures-for/common.ts";
import { formatNumber } from "../../report/format.ts";
import type { FigureClient } from "../figures.ts";
import { FigureSlot } from "../figures.ts";
import { RunHistory } from "../history.ts";
import { type LabInput, toTrainInput, validateLabInput } from "../lab-options.ts";
import type { RunStatus } from "../lab-run.ts";
import { LabSession } from "../lab-session.ts";
import type { FromWorker, ReadyMessage } from "../protocol.ts";
import { AxisMemory } from "../scales.ts";
import { h, replace } from "./dom.ts";
import { verdictLine } from "./lab-view.ts";

/** One-click remedies: each is a patch applied to configuration A to make B. */
export const REMEDIES = [
  {
    id: "relu",
    label: "ReLU",
    patch: { activation: "relu" },
    on: (b: LabInput) => b.activation === "relu",
    off: (a: LabInput) => ({ activation: a.activation === "relu" ? "tanh" : a.activation }),
  },
  {
    id: "leaky",
    label: "Leaky ReLU",
    patch: { activation: "leaky-relu" },
    on: (b: LabInput) => b.activation === "leaky-relu",
    off: (a: LabInput) => ({ activation: a.activation === "leaky-relu" ? "tanh" : a.activation }),
  },
  {
    id: "he",
    label: "He init",
    patch: { init: "he-normal" },
    on: (b: LabInput) => b.init === "he-normal",
    off: (a: LabInput) => ({ init: a.init === "he-normal" ? "normal" : a.init }),
  },
  {
    id: "batch-norm",
    label: "Batch norm",
    patch: { batchNorm: true, layerNorm: false },
    on: (b: LabInput) => b.batchNorm === true,
    off: (a: LabInput) => ({ batchNorm: a.batchNorm === true ? false : a.batchNorm }),
  },
  {
    id: "residual",
    label: "Residual",
    patch: { residual: true },
    on: (b: LabInput) => b.residual === true,
    off: (a: LabInput) => ({ residual: a.residual === true ? false : a.residual }),
  },
] as const;

interface Side {
  name: "A" | "B";
  session: LabSession;
  history: RunHistory;
  ready: ReadyMessage | null;
  status: RunStatus | null;
  playing: boolean;
  summary: HTMLElement;
  probeVerdict: HTMLElement;
  trainVerdict: HTMLElement;
  statusLine: HTMLElement;
  loss: FigureSlot;
  heatmap: FigureSlot;
}

function inputSummary(input: LabInput): string {
  const { input: v } = validateLabInput(input);
  return describeNetwork({
    depth: Number(v.depth),
    width: Number(v.width),
    activation: v.activation as never,
    slope: Number(v.slope),
    init: v.init as never,
    weightVar: Number(v.weightVar),
    biasVar: Number(v.biasVar),
    gain: 1,
    batchNorm: v.batchNorm === true,
    layerNorm: v.layerNorm === true,
    residual: v.residual === true,
    branchScale: resolveTrainConfig(toTrainInput(v)).branchScale,
    dtype: v.dtype as never,
    seed: Number(v.seed),
  });
}

/** Story 4: configuration A and A with remedies (B), probed and trained side by side. */
export class CompareView {
  readonly element: HTMLElement;
  a: LabInput;
  b: LabInput;
  private readonly sides: [Side, Side];
  private readonly gradient: FigureSlot;
  private readonly trainButton: HTMLButtonElement;
  private readonly remedyButtons: HTMLButtonElement[];
  private readonly error: HTMLElement;
  /** "Train both" was pressed: a side that is still being built starts when ready. */
  private wantTraining = false;
  /** One colour scale for A's and B's heatmaps (it only widens over the visit). */
  private readonly colours = new AxisMemory(3);

  constructor(
    figures: FigureClient,
    private readonly onChange: () => void,
    private readonly openInLab: (input: LabInput) => void,
  ) {
    this.a = validateLabInput({}).input;
    this.b = { ...this.a };
    const side = (name: "A" | "B"): Side => {
      const s: Side = {
        name,
        session: new LabSession((m) => this.onMessage(s, m)),
        history: new RunHistory(),
        ready: null,
        status: null,
        playing: false,
        summary: h("p", { class: "config-line", id: `compare-${name}-config` }),
        probeVerdict: h("p", {
          class: "verdict",
          id: `compare-${name}-probe`,
          "aria-live": "polite",
        }),
        trainVerdict: h("p", {
          class: "verdict",
          id: `compare-${name}-train`,
          "aria-live": "polite",
        }),
        statusLine: h("p", { class: "run-status", id: `compare-${name}-status` }),
        loss: new FigureSlot(figures, {
          name: `compare-${name}-loss`,
          caption: `Configuration ${name}: minibatch loss and test accuracy.`,
          height: 300,
        }),
        heatmap: new FigureSlot(figures, {
          name: `compare-${name}-heatmap`,
          caption: `Configuration ${name}: ‖∂L/∂W‖ per layer over training steps.`,
          height: 320,
          minIntervalMs: 500,
        }),
      };
      return s;
    };
    this.sides = [side("A"), side("B")];
    this.gradient = new FigureSlot(figures, {
      name: "compare-gradient",
      caption:
        "Weight-gradient norm by layer at initialization for A and B (log scale), mean-field expectation dashed.",
      height: 420,
    });
    this.remedyButtons = REMEDIES.map((r) =>
      h(
        "button",
        {
          type: "button",
          class: "toggle",
          "aria-pressed": "false",
          "data-remedy": r.id,
          onclick: () => this.toggle(r.id),
        },
        r.label,
      ),
    );
    this.trainButton = h(
      "button",
      {
        type: "button",
        id: "compare-train",
        "aria-pressed": "false",
        onclick: () => this.toggleTraining(),
      },
      "Train both",
    );
    this.error = h("p", { class: "run-error", role: "alert", hidden: true });
    const column = (s: Side) =>
      h(
        "div",
        { class: "compare-col", "aria-label": `Configuration ${s.name}` },
        h("h3", {}, `Configuration ${s.name}`),
        s.summary,
        s.probeVerdict,
        s.statusLine,
        s.trainVerdict,
        s.loss.element,
        s.heatmap.element,
        h(
          "button",
          {
            type: "button",
            class: "small",
            onclick: () => this.openInLab(s.name === "A" ? this.a : this.b),
          },
          `Open ${s.name} in the lab`,
        ),
      );
    this.element = h(
      "section",
      { class: "story wide", "aria-labelledby": "story-compare-title" },
      h("h2", { id: "story-compare-title" }, "Remedies, side by side"),
      h(
        "p",
        { class: "lede" },
        "A is the network that vanishes; B is A with the remedies you switch on. Both have the same seed, data and training settings, so every difference comes from the remedy. ReLU keeps φ′ = 1 where units are active; He init sets σw² = 2 so ReLU layers keep the gradient's size; batch norm rescales every layer; residual connections give the gradient a path around each layer.",
      ),
      h(
        "div",
        { class: "toolbar", role: "toolbar", "aria-label": "Remedies for B" },
        h("span", { class: "toolbar-label" }, "Remedies for B:"),
        ...this.remedyButtons,
        h("span", { class: "spacer" }),
        this.trainButton,
      ),
      this.error,
      this.gradient.element,
      h("div", { class: "compare-grid" }, column(this.sides[0]), column(this.sides[1])),
    );
  }

  /** Set A and B and probe both. */
  set(a: LabInput, b: LabInput): void {
    this.a = { ...a };
    this.b = { ...b };
    this.restart();
  }

  private toggle(id: string): void {
    const remedy = REMEDIES.find((r) => r.id === id)!;
    const b: LabInput = { ...this.b };
    if (remedy.on(b)) Object.assign(b, remedy.off(this.a));
    else {
      Object.assign(b, remedy.patch);
      // Leaky ReLU and ReLU exclude each other; so do batch and layer norm (in the patch).
    }
    const { errors } = validateLabInput(b);
    if (errors.size > 0) {
      this.error.hidden = false;
      this.error.textContent = [...errors.values()].join("; ");
      return;
    }
    this.b = b;
    this.onChange();
    this.restart();
  }

  private restart(): void {
    this.error.hidden = true;
    this.wantTraining = false;
    this.updateTrainButton();
    for (const [i, s] of this.sides.entries()) {
      const input = i === 0 ? this.a : this.b;
      s.ready = null;
      s.status = null;
      s.playing = false;
      s.history.clear();
      s.loss.clear();
      s.heatmap.clear();
      s.summary.textContent = inputSummary(input);
      s.probeVerdict.textContent = "Probing…";
      s.trainVerdict.textContent = "";
      s.statusLine.textContent = "";
      s.session.configure(input);
    }
    this.gradient.clear();
    for (const [i, r] of REMEDIES.entries()) {
      this.remedyButtons[i]!.setAttribute("aria-pressed", String(r.on(this.b)));
    }
  }

  private toggleTraining(): void {
    this.wantTraining = !this.wantTraining;
    for (const s of this.sides) {
      if (!s.ready) continue;
      if (!this.wantTraining) s.session.pause();
      else if (!s.status?.finished) s.session.play();
      s.playing = this.wantTraining && !s.status?.finished;
    }
    this.updateTrainButton();
  }

  private updateTrainButton(): void {
    this.trainButton.textContent = this.wantTraining ? "Pause both" : "Train both";
    this.trainButton.setAttribute("aria-pressed", String(this.wantTraining));
  }

  private onMessage(s: Side, m: FromWorker): void {
    switch (m.type) {
      case "ready": {
        s.ready = m;
        s.status = m.status;
        const summary = m.probe.result.summary;
        replace(s.probeVerdict, ...verdictLine("At initialization: ", summary));
        s.probeVerdict.dataset.verdict = summary.verdict;
        if (this.wantTraining && !m.status.finished) {
          s.session.play();
          s.playing = true;
        }
        this.drawGradient();
        break;
      }
      case "progress": {
        if (s.ready) s.history.dtype = s.ready.config.dtype;
        s.history.add(m.records);
        s.status = m.status;
        // (A message sent before the worker saw the latest command says nothing about it.)
        if (s.playing && !m.playing && m.seq === s.session.seq) s.playing = false;
        if (this.wantTraining && this.sides.every((x) => x.ready && x.status?.finished)) {
          this.wantTraining = false;
        }
        this.updateTrainButton();
        const st = m.status;
        s.statusLine.textContent = `step ${st.step} / ${st.steps} · ${st.step > 0 ? `loss ${formatNumber(st.loss, 4)}` : "not trained yet"}${st.exploded ? " · exploded" : ""}`;
        s.statusLine.dataset.step = String(st.step);
        const latest = s.history.latest;
        const summary = s.history.runVerdict();
        if (latest && summary) {
          replace(s.trainVerdict, ...verdictLine(`Training, steps 1-${latest.step}: `, summary));
          s.trainVerdict.dataset.verdict = summary.verdict;
        }
        if (m.records.length > 0) {
          const depth = s.ready?.config.depth ?? 1;
          s.loss.update((width) => ({
            kind: "loss",
            data: s.history.loss(200),
            frame: { width, height: 300 },
          }));
          this.drawHeatmaps(Math.max(15, Math.min(50, Math.floor(2000 / depth))));
        }
        break;
      }
      case "error":
        s.playing = false;
        s.probeVerdict.textContent = `Cannot run configuration ${s.name}: ${m.message}`;
        break;
    }
  }

  /** Both heatmaps on one colour scale: the decades of A's and B's values together. */
  private drawHeatmaps(columns: number): void {
    const data = this.sides.map((x) => x.history.heatmap(columns));
    const decades = this.colours.fitDecades(
      "heat",
      data.flatMap((d) => d.values.flat()),
    );
    this.sides.forEach((side, i) => {
      const d = data[i]!;
      if (d.steps.length === 0) return;
      side.heatmap.host.dataset.decades = decades.join(",");
      side.heatmap.update((width) => ({
        kind: "fixedHeatmap",
        data: {
          ...d,
          decades,
          valueLabel: "‖∂L/∂W‖",
          title: `Configuration ${side.name}: ‖∂L/∂W‖ by layer and step`,
          subtitle: "A and B share one colour scale",
        },
        frame: { width, height: 320 },
      }));
    });
  }

  private drawGradient(): void {
    const [a, b] = this.sides;
    if (!a.ready || !b.ready) return;
    const ra = a.ready;
    const rb = b.ready;
    const label = (r: ReadyMessage, name: string) => {
      const c = r.config;
      const act = c.activation === "leaky-relu" ? `leaky-relu(${c.slope})` : c.activation;
      return `${name}: ${act}, ${c.init}${c.batchNorm ? ", batch norm" : ""}${c.residual ? ", residual" : ""}`;
    };
    this.gradient.update((width) => ({
      kind: "gradient",
      runs: [
        { label: label(ra, "A"), layers: ra.probe.result.layers },
        { label: label(rb, "B"), layers: rb.probe.result.layers },
      ],
      theory: [
        ra.probe.gradientTheory?.gradWeightNorm ?? null,
        rb.probe.gradientTheory?.gradWeightNorm ?? null,
      ],
      metric: "gradWeightNorm",
      frame: {
        width,
        height: 420,
        subtitle: `probe at initialization: depth ${ra.config.depth}, width ${ra.config.width}, seed ${ra.config.seed}`,
      },
    }));
  }
}

import { toCsv, trainRecordsCsv } from "../../experiment/csv-export.ts";
import type { DecisionGrid } from "../../experiment/decision-grid.ts";
import { toJson } from "../../experiment/json-numbers.ts";
import { effectiveWeightVar } from "../../experiment/probe-theory.ts";
import type { GradientTheory } from "../../report/figures-for/theory.ts";
import { formatNumber, formatPercent } from "../../report/format.ts";
import type { LegendItem } from "../../report/frame.ts";
import { categorical } from "../../report/palette.ts";
import type { ProbeSummary } from "../../verdict/summary.ts";
import type { FigureClient } from "../figures.ts";
import { FigureSlot } from "../figures.ts";
import { RunHistory } from "../history.ts";
import type { LinePanel } from "../lab-figures.ts";
import {
  cliCommand,
  LAB_FIELDS,
  type LabErrors,
  type LabInput,
  validateLabInput,
} from "../lab-options.ts";
import type {
  ActivationSample,
  BoundaryPoint,
  MeanFieldLine,
  ProbeView,
  RunStatus,
} from "../lab-run.ts";
import { LabSession } from "../lab-session.ts";
import type { DoctorFix, FromWorker, ReadyMessage } from "../protocol.ts";
import { AxisMemory } from "../scales.ts";
import { optionForm } from "./controls.ts";
import { append, download, h, replace } from "./dom.ts";

/** How a verdict reads on the page: the summary's sentence with its verdict word marked. */
export function verdictLine(
  prefix: string,
  summary: Pick<ProbeSummary, "verdict" | "message">,
): (Node | string)[] {
  return [
    prefix,
    h("strong", { class: `verdict-${summary.verdict}` }, summary.verdict),
    summary.message.replace(/^[a-z-]+:?/, ":"),
  ];
}

export function meanFieldText(m: MeanFieldLine): string {
  const xi = m.xiGrad;
  const scale = !Number.isFinite(xi)
    ? "it keeps its size from layer to layer"
    : xi > 0
      ? `toward the input, E[dz²] shrinks by a factor χ₁ per layer (by e every ${formatNumber(xi, 3)} layers)`
      : `toward the input, E[dz²] grows by a factor χ₁ per layer (by e every ${formatNumber(-xi, 3)} layers)`;
  return `Mean field (σw² = ${formatNumber(m.weightVar, 4)}, σb² = ${formatNumber(m.biasVar, 4)}): χ₁ = ${formatNumber(m.chi1, 4)}, ${m.phase} phase: ${scale}.`;
}

function activationLabel(input: Readonly<LabInput>): string {
  return input.activation === "leaky-relu"
    ? `leaky-relu(${input.slope})`
    : String(input.activation);
}

/** Least time between two status and verdict updates while training (ms). */
const STATUS_EVERY_MS = 200;

/** The lab: the option form, run controls, verdicts and the live figures. */
export class LabView {
  readonly element: HTMLElement;
  input: LabInput;
  private readonly form;
  /** Verdicts, figures and numbers: dimmed while the form holds a problem. */
  private readonly results: HTMLElement = h("div", { class: "results" });
  private readonly session: LabSession;
  private readonly history = new RunHistory();
  private ready: ReadyMessage | null = null;
  private trainTheory: GradientTheory | null = null;
  private activations: ActivationSample[] | null = null;
  private status: RunStatus | null = null;
  private playing = false;
  private stepsPerSecond: number | null = null;
  private pendingStatus = false;
  private lastStatus = 0;
  private boundaryPoints: BoundaryPoint[] | null = null;
  /** Axes shared by every configuration tried in this visit (they only widen; reset button). */
  private readonly axes = new AxisMemory(3);
  private maxDepth = 1;
  private fix: DoctorFix | null = null;
  private readonly slots: Record<
    "init" | "gradient" | "heatmap" | "updateRatio" | "loss" | "histograms" | "decision" | "phase",
    FigureSlot
  >;
  /** The figures' grid. */
  private readonly figGrid: HTMLElement = h("div", { class: "fig-grid lab-figs" });
  /** The decision-boundary cell, hidden for data that is not 2-D classification. */
  private readonly decisionCell: HTMLElement;
  private readonly el: {
    play: HTMLButtonElement;
    step: HTMLButtonElement;
    step10: HTMLButtonElement;
    reset: HTMLButtonElement;
    exportJson: HTMLButtonElement;
    exportCsv: HTMLButtonElement;
    status: HTMLElement;
    verdict: HTMLElement;
    probeVerdict: HTMLElement;
    meanField: HTMLElement;
    runError: HTMLElement;
    cliTrain: HTMLElement;
    cliProbe: HTMLElement;
    datasetInfo: HTMLElement;
    engine: HTMLElement;
    probeTable: HTMLTableSectionElement;
    advice: HTMLElement;
    bnNote: HTMLElement;
    resetAxes: HTMLButtonElement;
  };

  constructor(
    figures: FigureClient,
    private readonly onInput: (input: LabInput) => void,
  ) {
    this.input = validateLabInput({}).input;
    this.form = optionForm(LAB_FIELDS, () => this.formChanged(), "lab");
    this.session = new LabSession((m) => this.onMessage(m));
    const slot = (name: string, caption: string, height: number, minIntervalMs = 250) =>
      new FigureSlot(figures, { name, caption, height, minIntervalMs });
    this.slots = {
      init: slot(
        "init-probe",
        "At initialization (probe: Gaussian inputs, random-projection loss): forward signal q and backward E[(∂L/∂z)²] per layer, side by side, mean-field prediction dashed. Axes shared by every configuration tried in this visit.",
        400,
      ),
      gradient: slot(
        "gradient-by-layer",
        "Training (the latest recorded step, on the dataset with its loss): forward q and backward E[(∂L/∂z)²] per layer. Axes shared by every configuration tried in this visit.",
        400,
      ),
      heatmap: slot(
        "gradient-heatmap",
        "‖∂L/∂W‖ per layer (rows) over training steps (columns), log colour scale fixed for this visit.",
        400,
        400,
      ),
      updateRatio: slot(
        "update-ratio",
        "log10 of each layer's update-to-weight ratio per recorded step; about −3 is healthy.",
        360,
        400,
      ),
      loss: slot("loss-curves", "Minibatch loss, and test loss and accuracy when evaluated.", 360),
      histograms: slot(
        "activation-histograms",
        "Distribution of activations φ(u) in a few layers at the latest step.",
        360,
        500,
      ),
      decision: slot(
        "decision-boundary",
        "The class the network predicts at each point of the input plane (shading, evaluated on a 60 × 60 grid), with the training points in their true class's colour.",
        420,
        300,
      ),
      phase: slot(
        "phase-diagram",
        "Mean-field phase diagram for this activation: χ₁ over (σw², σb²), the critical line χ₁ = 1, and this network's init marked (σw² = fan-in × Var(W)).",
        480,
      ),
    };
    this.decisionCell = h("div", { class: "fig-cell", hidden: true }, this.slots.decision.element);
    const button = (label: string, onclick: () => void, extra: Record<string, string> = {}) =>
      h("button", { type: "button", onclick, ...extra }, label);
    this.el = {
      play: button("Play", () => this.togglePlay(), { id: "lab-play", "aria-pressed": "false" }),
      step: button("Step", () => this.stepBy(1), { id: "lab-step" }),
      step10: button("+10 steps", () => this.stepBy(10), { id: "lab-step10" }),
      reset: button("Reset", () => this.restart(), { id: "lab-reset" }),
      exportJson: button("JSON", () => this.exportRun(), {
        id: "lab-export",
        "aria-label": "Export the run as JSON",
        title: "Download this run (config, probe, every recorded step) as JSON",
      }),
      exportCsv: button("CSV", () => this.exportCsv(), {
        id: "lab-export-csv",
        "aria-label": "Export the run as CSV",
        title:
          "Download the recorded steps as CSV, one row per (step, layer): the columns of gradscope train --csv-out",
      }),
      status: h("span", { class: "run-status", id: "lab-status", "aria-live": "off" }, "starting…"),
      verdict: h("p", { class: "verdict", id: "lab-verdict", "aria-live": "polite" }),
      probeVerdict: h("p", { class: "verdict", id: "lab-probe-verdict" }),
      meanField: h("p", { class: "mean-field", id: "lab-mean-field" }),
      runError: h("p", { class: "run-error", id: "lab-run-error", role: "alert", hidden: true }),
      cliTrain: h("code", { id: "lab-cli-train" }),
      cliProbe: h("code", { id: "lab-cli-probe" }),
      datasetInfo: h("span", { id: "lab-dataset" }),
      engine: h("span", { id: "lab-engine" }),
      probeTable: h("tbody"),
      advice: h("div", { class: "advice", id: "lab-advice", role: "status", hidden: true }),
      bnNote: h("p", { class: "note", id: "lab-bn-note", hidden: true }),
      resetAxes: button("Reset axes", () => this.resetAxes(), {
        id: "lab-reset-axes",
        class: "small",
        title:
          "Fit the figures' axes to this configuration again (they widen over a visit so configurations compare)",
      }),
    };
    const e = this.el;
    const probeTable = h(
      "table",
      { id: "probe-table", class: "numbers" },
      h(
        "caption",
        {},
        "Probe at initialization (Gaussian inputs, random-projection loss): the numbers of ",
        h("code", {}, "gradscope probe"),
      ),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["layer", "q", "E[dz²]", "‖dW‖", "‖dW‖ predicted", "act std", "saturated", "dead"].map(
            (t) => h("th", { scope: "col" }, t),
          ),
        ),
      ),
      e.probeTable,
    );
    this.element = h(
      "div",
      { class: "lab" },
      h(
        "aside",
        { class: "sidebar", "aria-label": "Configuration" },
        h("h2", {}, "Configuration"),
        this.form.element,
      ),
      h(
        "section",
        { class: "main", "aria-label": "Run" },
        h(
          "div",
          { class: "toolbar", id: "run-controls", role: "toolbar", "aria-label": "Training" },
          e.play,
          e.step,
          e.step10,
          e.reset,
          e.status,
          h("span", { class: "spacer" }),
          h(
            "span",
            { class: "export-group", role: "group", "aria-labelledby": "lab-export-label" },
            h("span", { id: "lab-export-label", class: "toolbar-label" }, "Export run"),
            e.exportJson,
            e.exportCsv,
          ),
        ),
        e.runError,
        this.results,
      ),
    );
    append(
      this.results,
      e.verdict,
      e.advice,
      e.probeVerdict,
      e.bnNote,
      e.meanField,
      h(
        "details",
        { class: "cli" },
        h("summary", {}, "The same run in a terminal"),
        h("p", {}, "Training: ", e.cliTrain),
        h("p", {}, "Probe at initialization: ", e.cliProbe, " (add ", h("code", {}, "--json"), ")"),
        h("p", {}, "Data: ", e.datasetInfo),
        h("p", {}, "In this browser: ", e.engine),
      ),
      this.figGrid,
      h(
        "details",
        { class: "probe-details", open: true },
        h("summary", {}, "Probe numbers per layer"),
        probeTable,
      ),
    );
    append(
      this.figGrid,
      h(
        "div",
        { class: "fig-cell wide" },
        h(
          "p",
          { class: "fig-note" },
          "Axes stay put while you change the configuration (they only widen), so two configurations compare at a glance. ",
          e.resetAxes,
        ),
        this.slots.init.element,
      ),
      h("div", { class: "fig-cell" }, this.slots.histograms.element),
      h("div", { class: "fig-cell" }, this.slots.phase.element),
      h("div", { class: "fig-cell wide" }, this.slots.gradient.element),
      h("div", { class: "fig-cell" }, this.slots.loss.element),
      h("div", { class: "fig-cell" }, this.slots.heatmap.element),
      this.decisionCell,
      h("div", { class: "fig-cell" }, this.slots.updateRatio.element),
    );
    this.form.set(this.input);
    this.setRunnable(false);
  }

  /** Show `input` (from the URL) with its problems, and run it when it has none. */
  load(input: LabInput, rejected: ReadonlyMap<string, string>, errors: LabErrors): void {
    this.form.set(input, rejected);
    this.form.showErrors(errors);
    this.input = input;
    if (errors.size === 0) this.restart();
    else this.blocked();
  }

  private formChanged(): void {
    const { input, errors } = validateLabInput(this.form.raw());
    this.form.showErrors(errors);
    if (errors.size > 0) {
      this.blocked();
      return;
    }
    const same = LAB_FIELDS.every((f) => input[f.spec.key] === this.input[f.spec.key]);
    // A text box reports "change" again when it loses focus: only a new value restarts.
    if (same && this.ready !== null) {
      this.unblock();
      this.setRunnable(true);
      this.renderStatus();
      return;
    }
    this.input = input;
    this.onInput(input);
    this.restart();
  }

  private blocked(): void {
    this.session.pause();
    this.playing = false;
    this.setRunnable(false);
    this.el.status.textContent = "fix the highlighted option to run";
    this.results.classList.add("stale");
    this.results.setAttribute("aria-hidden", "true");
  }

  private setRunnable(runnable: boolean): void {
    const finished = this.status?.finished ?? false;
    this.el.play.disabled = !runnable || finished;
    this.el.step.disabled = !runnable || finished || this.playing;
    this.el.step10.disabled = !runnable || finished || this.playing;
    this.el.reset.disabled = !runnable;
    this.el.exportJson.disabled = !runnable;
    this.el.exportCsv.disabled = !runnable;
    this.el.play.textContent = this.playing ? "Pause" : "Play";
    this.el.play.setAttribute("aria-pressed", String(this.playing));
    // Figures off screen follow a playing run less often; stopped, they catch up.
    for (const s of Object.values(this.slots)) s.live = this.playing;
  }

  private unblock(): void {
    this.results.classList.remove("stale");
    this.results.removeAttribute("aria-hidden");
  }

  /** Start the configured run again from step 0. */
  restart(): void {
    this.unblock();
    this.ready = null;
    this.status = null;
    this.playing = false;
    this.trainTheory = null;
    this.activations = null;
    this.stepsPerSecond = null;
    this.boundaryPoints = null;
    this.history.clear();
    // The figures of the network at init stay (dimmed) until the new probe replaces them: no
    // blank panels while a configuration is built; the training figures start over.
    const sl = this.slots;
    for (const s of [sl.gradient, sl.heatmap, sl.updateRatio, sl.loss, sl.decision]) s.clear();
    for (const s of [sl.init, sl.histograms, sl.phase]) s.element.classList.add("stale");
    this.el.runError.hidden = true;
    this.el.verdict.textContent = "";
    this.showAdvice(null);
    this.el.probeVerdict.textContent = "Probing the network at initialization…";
    this.el.meanField.textContent = "";
    this.el.probeTable.replaceChildren();
    this.el.status.textContent = "building the network…";
    this.el.cliTrain.textContent = cliCommand("train", this.input);
    this.el.cliProbe.textContent = cliCommand("probe", this.input);
    this.setRunnable(false);
    this.session.configure(this.input);
  }

  private togglePlay(): void {
    if (!this.ready) return;
    if (this.playing) {
      this.session.pause();
      this.playing = false;
    } else {
      this.session.play();
      this.playing = true;
    }
    this.setRunnable(true);
  }

  private stepBy(n: number): void {
    if (!this.ready || this.playing) return;
    this.session.step(n);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case "ready":
        this.ready = m;
        this.status = m.status;
        for (const s of [this.slots.init, this.slots.histograms, this.slots.phase])
          s.element.classList.remove("stale");
        this.showProbe(m.probe);
        this.el.datasetInfo.textContent = m.datasetDescription;
        this.el.engine.textContent = `matrix kernel ${m.gemm}; network built and probed in ${formatNumber(m.setupMs, 3)} ms`;
        this.el.engine.dataset.gemm = m.gemm;
        this.setRunnable(true);
        this.scheduleStatus();
        this.drawInit();
        this.drawGradient();
        this.boundaryPoints = m.boundaryPoints;
        this.decisionCell.hidden = m.boundaryPoints === null;
        this.drawPhase();
        break;
      case "progress":
        if (m.trainTheory !== undefined) this.trainTheory = m.trainTheory;
        if (m.records.length > 0) {
          if (this.ready) this.history.dtype = this.ready.config.dtype;
          this.history.add(m.records);
        }
        if (m.activations) this.activations = m.activations;
        if (m.fix !== undefined) this.showAdvice(m.fix);
        this.status = m.status;
        this.stepsPerSecond = m.stepsPerSecond;
        // Only a message sent after the worker saw the latest command can stop playing: one
        // sent earlier (a decision grid finishing as Play is pressed) is about the old state.
        if (this.playing && !m.playing && m.seq === this.session.seq) {
          this.playing = false;
          this.setRunnable(true);
        } else if (m.status.finished) this.setRunnable(true);
        if (m.records.length > 0) this.drawLive();
        if (m.activations) this.drawHistograms();
        if (m.boundary) this.drawBoundary(m.boundary.grid, m.boundary.step);
        this.scheduleStatus();
        break;
      case "error":
        this.playing = false;
        this.el.runError.hidden = false;
        this.el.runError.textContent = m.known
          ? `Cannot run this configuration: ${m.message}`
          : `Something went wrong in the training worker: ${m.message}`;
        this.el.status.textContent = "stopped";
        this.el.probeVerdict.textContent = "";
        this.setRunnable(false);
        this.el.reset.disabled = false;
        break;
    }
  }

  /** Doctor's word on a run that exploded or stalls, with one-click fixes. */
  private showAdvice(fix: DoctorFix | null): void {
    const el = this.el.advice;
    this.fix = fix;
    if (!fix || !this.ready) {
      el.hidden = true;
      el.replaceChildren();
      delete el.dataset.trigger;
      return;
    }
    const lr = this.ready.config.lr;
    const lower = Number((lr / 10).toPrecision(6));
    const parts: (Node | string)[] = [];
    if (fix.trigger === "exploded") {
      parts.push(
        h(
          "p",
          {},
          h("strong", {}, `The run blew up at step ${fix.step} `),
          `with learning rate ${lr}. A step this large can throw the weights where the loss or the gradients overflow; a smaller one often keeps the run finite. `,
          h(
            "button",
            {
              type: "button",
              class: "small",
              id: "lab-lr-down",
              onclick: () => this.applyFix({ lr: lower }),
            },
            `Try lr = ${lower}`,
          ),
        ),
      );
    }
    parts.push(h("p", {}, h("strong", {}, "Doctor: "), fix.headline));
    if (fix.remedy) {
      const r = fix.remedy;
      const patch: Record<string, unknown> = { ...r.configChange };
      if (r.trainChange?.lr !== undefined) patch.lr = r.trainChange.lr;
      else if (r.trainChange?.lrScale !== undefined)
        patch.lr = Number((lr * r.trainChange.lrScale).toPrecision(6));
      if (r.trainChange?.clip !== undefined) patch.clip = r.trainChange.clip;
      if (r.trainChange?.clipThreshold !== undefined)
        patch.clipThreshold = r.trainChange.clipThreshold;
      parts.push(
        h(
          "p",
          {},
          `Doctor's first remedy: ${r.label}. ${r.why} `,
          h(
            "button",
            { type: "button", id: "lab-doctor-fix", onclick: () => this.applyFix(patch) },
            "Try doctor's fix",
          ),
        ),
      );
    }
    el.replaceChildren(...parts);
    el.dataset.trigger = fix.trigger;
    el.hidden = false;
  }

  /** This configuration with `patch` (lab options only), run from step 0. */
  private applyFix(patch: Record<string, unknown>): void {
    const raw: Record<string, unknown> = { ...this.input };
    const skipped: string[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (LAB_FIELDS.some((f) => f.spec.key === k)) raw[k] = v;
      else skipped.push(k);
    }
    const { input, errors } = validateLabInput(raw);
    if (errors.size > 0) {
      this.el.advice.append(
        h("p", { class: "run-error" }, `Cannot apply: ${[...errors.values()].join("; ")}`),
      );
      return;
    }
    this.input = input;
    this.form.set(input);
    this.form.showErrors(new Map());
    this.onInput(input);
    this.restart();
    if (skipped.length > 0) {
      this.el.advice.hidden = false;
      this.el.advice.textContent = `Applied; the lab has no control for ${skipped.join(", ")}, left as it was.`;
    }
  }

  private showProbe(p: ProbeView): void {
    const s = p.result.summary;
    const bn = this.el.bnNote;
    bn.hidden = !p.config.batchNorm;
    if (p.config.batchNorm) {
      bn.textContent =
        s.verdict === "exploding"
          ? `Batch norm at initialization: this EXPLODING verdict is batch norm's known behaviour, not a bug. Yang et al. (2019, "A mean field theory of batch normalization") prove that a deep batch-normalized network without skip connections has gradients that grow geometrically toward the input at initialization, whatever the activation. Batch norm helps during training (it keeps each layer's scale in check as the weights move); at init, residual connections${p.config.residual ? " (on here)" : ""} or a smaller depth tame it.`
          : `Batch norm at initialization: Yang et al. (2019) prove that deep batch-normalized networks without skip connections have gradients that explode toward the input at initialization; its benefit shows during training.`;
    }
    replace(
      this.el.probeVerdict,
      ...verdictLine("At initialization (probe, Gaussian inputs): ", s),
    );
    this.el.probeVerdict.dataset.verdict = s.verdict;
    this.el.meanField.textContent = p.meanField
      ? meanFieldText(p.meanField)
      : p.theoryReason
        ? `Mean field: ${p.theoryReason}.`
        : "";
    const predicted = p.gradientTheory?.gradWeightNorm ?? null;
    const cell = (field: string, v: number, text?: string) =>
      h("td", { "data-field": field, "data-value": String(v) }, text ?? formatNumber(v, 4));
    this.el.probeTable.replaceChildren(
      ...p.result.layers.map((m, i) =>
        h(
          "tr",
          { "data-layer": m.layer },
          h("th", { scope: "row" }, String(m.layer)),
          cell("q", m.q),
          cell("gradPreactMeanSq", m.gradPreactMeanSq, m.underflow ? "underflow" : undefined),
          cell("gradWeightNorm", m.gradWeightNorm, m.underflow ? "underflow" : undefined),
          predicted
            ? cell("predictedGradWeightNorm", predicted[i]?.value ?? Number.NaN)
            : h("td", {}, "–"),
          cell("actStd", m.actStd),
          cell("saturated", m.saturated, formatPercent(m.saturated)),
          cell("dead", m.dead, formatPercent(m.dead)),
        ),
      ),
    );
  }

  /**
   * Show the status and the verdict on the next frame; while training, at most every
   * STATUS_EVERY_MS: new text every frame would restyle, lay out and repaint the page (and
   * speak the verdict's live region) dozens of times a second.
   */
  private scheduleStatus(): void {
    if (this.pendingStatus) return;
    this.pendingStatus = true;
    const wait = this.playing ? this.lastStatus + STATUS_EVERY_MS - performance.now() : 0;
    const show = () =>
      requestAnimationFrame(() => {
        this.pendingStatus = false;
        this.lastStatus = performance.now();
        this.renderStatus();
      });
    if (wait > 0) setTimeout(show, wait);
    else show();
  }

  private renderStatus(): void {
    const st = this.status;
    if (!st) return;
    const perSecond = this.stepsPerSecond;
    const rate =
      perSecond === null
        ? this.playing
          ? "measuring steps/s…"
          : ""
        : this.playing
          ? `${formatNumber(perSecond, 3)} steps/s`
          : `(${formatNumber(perSecond, 3)} steps/s while playing)`;
    const loss = st.step > 0 ? `loss ${formatNumber(st.loss, 4)}` : "not trained yet";
    const state = st.exploded
      ? "exploded"
      : st.finished
        ? "finished"
        : this.playing
          ? "training"
          : "paused";
    // One step number: the figures and the verdict show the latest recorded step; say so
    // when the trainer is past it (recording every k steps).
    const shown = this.history.latest?.step;
    const stepText =
      shown !== undefined && shown !== st.step
        ? `step ${st.step} / ${st.steps} (figures: step ${shown})`
        : `step ${st.step} / ${st.steps}`;
    this.el.status.textContent = [stepText, state, loss, rate].filter(Boolean).join(" · ");
    this.el.status.dataset.step = String(st.step);
    this.el.status.dataset.loss = String(st.loss);
    this.el.status.dataset.stepsPerSecond = String(this.stepsPerSecond ?? "");
    const summary = this.history.runVerdict();
    const latest = this.history.latest;
    if (summary && latest) {
      const explosion = st.exploded ? ` ${st.message}.` : "";
      replace(
        this.el.verdict,
        ...verdictLine(`Training, steps 1-${latest.step}: `, summary),
        explosion,
      );
      this.el.verdict.dataset.verdict = summary.verdict;
      this.el.verdict.dataset.step = String(latest.step);
    } else if (st.step === 0) {
      this.el.verdict.textContent =
        "Press Play (or Step) to train; the verdict follows every recorded step.";
      delete this.el.verdict.dataset.verdict;
    }
  }

  /** x axis of the layer figures: 1 .. the deepest network tried in this visit. */
  private layerDomain(): [number, number] {
    return [1, Math.max(2, this.maxDepth)];
  }

  private resetAxes(): void {
    this.axes.reset();
    this.maxDepth = this.ready?.config.depth ?? 1;
    this.drawInit();
    this.drawGradient();
    if (this.history.latest) this.drawLive();
  }

  /** The probe at initialization: forward q and backward E[dz²] per layer, side by side. */
  private drawInit(): void {
    const ready = this.ready;
    if (!ready) return;
    const p = ready.probe;
    const label = activationLabel(this.input);
    this.maxDepth = Math.max(this.maxDepth, ready.config.depth);
    const color = categorical(0);
    const measured = (f: "q" | "gradPreactMeanSq") =>
      p.result.layers.map((m) => ({ x: m.layer, y: m[f] }));
    const theory = (f: "q" | "gradPreactMeanSq") =>
      p.theory ? p.theory.layers.map((t) => ({ x: t.layer, y: t[f] })) : [];
    const legend: LegendItem[] = [
      {
        label: `measured: probe at init (${label}, Gaussian x, random-projection loss)`,
        color,
        shape: "line-dot",
      },
    ];
    if (p.theory)
      legend.push({ label: `mean-field prediction (${p.theory.source})`, color, shape: "dashed" });
    else if (p.theoryReason)
      legend.push({ label: `no prediction: ${p.theoryReason}`, color, shape: "none" });
    const panel = (
      f: "q" | "gradPreactMeanSq",
      key: string,
      title: string,
      yLabel: string,
    ): LinePanel => {
      const m = measured(f);
      const t = theory(f);
      return {
        title,
        xLabel: "layer (1 = input side)",
        yLabel,
        xDomain: this.layerDomain(),
        yDomain: this.axes.fit(
          key,
          [...m, ...t].map((v) => v.y),
        ),
        series: [
          { label: "measured", color, points: m, dots: m.length <= 40 },
          ...(t.length > 0 ? [{ label: "theory", color, points: t, dashed: true }] : []),
        ],
      };
    };
    const panels = [
      panel("q", "init.q", "forward: q", "q = mean z² (log scale)"),
      panel("gradPreactMeanSq", "init.dz", "backward: E[(∂L/∂z)²]", "E[(∂L/∂z)²] (log scale)"),
    ];
    this.slots.init.host.dataset.yDomain = panels.map((x) => x.yDomain.join(",")).join(";");
    this.slots.init.update((width) => ({
      kind: "panels",
      data: {
        title: "At initialization: the signal forward, the gradient backward",
        subtitle: `depth ${ready.config.depth}, width ${ready.config.width}, ${label}, init ${ready.config.init}; the probe of gradscope probe`,
        legend,
        panels,
      },
      frame: { width, height: 400 },
    }));
  }

  /** The latest recorded training step: forward q and backward E[dz²] per layer. */
  private drawGradient(): void {
    const ready = this.ready;
    if (!ready) return;
    const latest = this.history.latest;
    const color = categorical(1);
    const config = ready.config;
    if (!latest) {
      this.slots.gradient.clear();
      return;
    }
    const finite = (v: number) => Number.isFinite(v);
    const allBad = latest.layers.every((m) => !finite(m.gradPreactMeanSq));
    const q = latest.layers.map((m) => ({ x: m.layer, y: m.q }));
    const dz = latest.layers.map((m) => ({ x: m.layer, y: m.gradPreactMeanSq }));
    const theory = allBad
      ? []
      : (this.trainTheory?.gradPreactMeanSq ?? []).map((t) => ({ x: t.layer, y: t.value }));
    const legend: LegendItem[] = [
      {
        label: `measured: training step ${latest.step} (${config.dataset}, ${config.loss} loss, one minibatch)`,
        color,
        shape: "line-dot",
      },
    ];
    if (theory.length > 0)
      legend.push({
        label: "mean-field shape at init, matched at the last layer",
        color,
        shape: "dashed",
      });
    // A panel whose measured values are all NaN/∞ draws no line and no theory: it says so
    // (the × marks on the axis show where).
    const panel = (
      points: { x: number; y: number }[],
      t: { x: number; y: number }[],
      key: string,
      title: string,
      yLabel: string,
    ): LinePanel => {
      const bad = points.every((v) => !finite(v.y));
      return {
        title,
        xLabel: "layer (1 = input side)",
        yLabel,
        xDomain: this.layerDomain(),
        yDomain: this.axes.fit(key, bad ? [] : [...points, ...t].map((v) => v.y)),
        series: bad
          ? [{ label: "measured", color, points, dots: true }]
          : [
              { label: "measured", color, points, dots: points.length <= 40 },
              ...(t.length > 0 ? [{ label: "theory", color, points: t, dashed: true }] : []),
            ],
        ...(bad ? { note: `step ${latest.step}: NaN or ∞ in every layer; no line drawn` } : {}),
      };
    };
    const panels = [
      panel(q, [], "train.q", "forward: q", "q = mean z² (log scale)"),
      panel(dz, theory, "train.dz", "backward: E[(∂L/∂z)²]", "E[(∂L/∂z)²] (log scale)"),
    ];
    const host = this.slots.gradient.host;
    host.dataset.step = String(latest.step);
    host.dataset.yDomain = panels.map((x) => x.yDomain.join(",")).join(";");
    host.dataset.nan = String(allBad);
    this.slots.gradient.update((width) => ({
      kind: "panels",
      data: {
        title: `Training, step ${latest.step}: the signal forward, the gradient backward`,
        subtitle: `depth ${config.depth}, width ${config.width}, ${activationLabel(this.input)}, ${config.optimizer} lr ${config.lr}`,
        legend,
        panels,
      },
      frame: { width, height: 400 },
    }));
  }

  /**
   * The figures of the recorded steps. Their data is gathered when a figure's render starts
   * (a few times a second at most), not for every message from the worker.
   */
  private drawLive(): void {
    this.drawGradient();
    const depth = this.ready?.config.depth ?? 1;
    const columns = Math.max(20, Math.min(80, Math.floor(3000 / depth)));
    const history = this.history;
    this.slots.heatmap.update((width) => {
      const heat = history.heatmap(columns);
      const decades = this.axes.fitDecades("heat", heat.values.flat());
      this.slots.heatmap.host.dataset.decades = decades.join(",");
      return {
        kind: "fixedHeatmap",
        data: {
          ...heat,
          decades,
          valueLabel: "‖∂L/∂W‖",
          title: "Gradient norm ‖∂L/∂W‖ by layer and training step",
        },
        frame: { width, height: 400 },
      };
    });
    this.slots.updateRatio.update((width) => ({
      kind: "updateRatio",
      data: history.updateRatios(150),
      frame: { width, height: 360 },
    }));
    this.slots.loss.update((width) => ({
      kind: "loss",
      data: history.loss(300),
      frame: { width, height: 360 },
    }));
  }

  private drawHistograms(): void {
    const layers = this.activations;
    if (!layers || layers.length === 0) return;
    const label = activationLabel(this.input);
    const step = this.status?.step ?? 0;
    this.slots.histograms.host.dataset.step = String(step);
    this.slots.histograms.update((width) => ({
      kind: "histograms",
      layers,
      activation: label,
      frame: {
        width,
        height: 360,
        subtitle:
          step === 0
            ? "at initialization (the first training batch, before any step)"
            : `after training step ${step}`,
      },
    }));
  }

  private drawBoundary(grid: DecisionGrid, step: number): void {
    const points = this.boundaryPoints;
    const ready = this.ready;
    if (!points || !ready) return;
    const dataset = ready.config.dataset;
    this.slots.decision.host.dataset.step = String(step);
    this.slots.decision.update((width) => ({
      kind: "decision",
      data: { grid, points, classCount: grid.classCount },
      frame: {
        width,
        height: 420,
        title: `Decision regions on ${dataset}`,
        subtitle:
          step === 0
            ? "at initialization (before training)"
            : `after training step ${step} (eval mode)`,
      },
    }));
  }

  /** The phase diagram of this activation with the network's (σw², σb²) marked. */
  private drawPhase(): void {
    const ready = this.ready;
    if (!ready) return;
    const config = ready.probe.config;
    const weightVar = effectiveWeightVar(config);
    const biasVar = config.biasVar;
    const explicit = config.init === "normal" || config.init === "uniform";
    const notes = [
      explicit ? `init ${config.init}` : `init ${config.init} sets σw² = fan-in × Var(W)`,
    ];
    // The diagram is the plain network's: say what of this network it leaves out.
    const without = [
      config.batchNorm ? "batch norm" : "",
      config.layerNorm ? "layer norm" : "",
      config.residual ? "residual connections" : "",
    ].filter(Boolean);
    if (without.length > 0) notes.push(`drawn as if without ${without.join(" and ")}`);
    const host = this.slots.phase.host;
    host.dataset.weightVar = String(weightVar);
    host.dataset.biasVar = String(biasVar);
    this.slots.phase.update((width) => ({
      kind: "phase",
      activation: config.activation,
      slope: config.slope,
      marker: { weightVar, biasVar },
      frame: { width, height: 480, subtitle: notes.join("; ") },
    }));
  }

  /** Redraw every figure at the current size. */
  refreshFigures(): void {
    for (const s of Object.values(this.slots)) s.refresh();
  }

  /** The recorded steps as `gradscope train --csv-out` writes them (one row per step and layer). */
  private exportCsv(): void {
    const ready = this.ready;
    if (!ready) return;
    download(
      `gradscope-run-seed${ready.config.seed}.csv`,
      toCsv(trainRecordsCsv(this.history.records)),
      "text/csv",
    );
  }

  private exportRun(): void {
    const ready = this.ready;
    if (!ready) return;
    const run = {
      gradscope: "browser lab run",
      url: location.href,
      cli: { train: cliCommand("train", this.input), probe: cliCommand("probe", this.input) },
      config: ready.config,
      dataset: ready.datasetDescription,
      status: this.status,
      probe: ready.probe.result,
      theory: ready.probe.theory,
      meanField: ready.probe.meanField,
      recordsThinning: this.history.thinning,
      records: this.history.records,
      exportedAt: new Date().toISOString(),
    };
    download(
      `gradscope-run-seed${ready.config.seed}.json`,
      `${toJson(run, 2)}\n`,
      "application/json",
    );
  }
}

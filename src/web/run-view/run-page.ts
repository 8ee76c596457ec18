import { append, h, replace } from "../ui/dom.ts";
import type { RowChoice } from "./figure-data.ts";
import { RunFigureSlot } from "./figure-slot.ts";
import { classifyFiles } from "./files.ts";
import type { FromRunWorker, RunDiagnosisMessage, RunOverview, RunSource } from "./protocol.ts";
import { RunClient } from "./run-client.ts";
import { servedRunBase } from "./served-run.ts";
import { SPIKE_FACTOR, SPIKE_WINDOW } from "./spikes.ts";

/** The hash of the Run view. */
export const RUN_HASH = "#view=run";

export function isRunHash(hash: string): boolean {
  return hash === RUN_HASH || hash === "#run";
}

/** Above this many modules, groups start collapsed. */
const EXPANDED_LIMIT = 30;

/**
 * The Run view: a recorded run (a run directory served by `gradscope serve RUN_DIR`, or
 * metrics.jsonl / config.json / summary.json dropped on the page, read in the browser and
 * sent nowhere) with its verdict and findings in the words of `gradscope diagnose`, and its
 * figures over training steps, drawn in the run worker.
 */
export class RunPage {
  readonly link: HTMLAnchorElement;
  readonly panel: HTMLElement;
  private readonly client: RunClient;
  private readonly status: HTMLElement;
  private readonly results: HTMLElement;
  private readonly origin: HTMLElement;
  private readonly verdict: HTMLElement;
  private readonly findings: HTMLElement;
  private readonly notes: HTMLElement;
  private readonly moduleControls: HTMLElement;
  private readonly histControls: HTMLElement;
  private readonly histModule: HTMLSelectElement;
  private readonly histKind: HTMLSelectElement;
  private readonly slots: Record<
    "loss" | "gradNorm" | "heatmap" | "updates" | "histograms",
    RunFigureSlot
  >;
  private readonly cells: Record<"updates" | "histograms", HTMLElement>;
  private overview: RunOverview | null = null;
  private choice: RowChoice = { order: "depth", collapsed: [] };
  private servedChecked = false;
  private started = 0;
  private firstFigureMs: number | null = null;

  constructor() {
    this.link = h("a", { href: RUN_HASH, "data-page": "run" }, "Run");
    this.client = new RunClient((m) => this.onMessage(m));
    this.status = h("p", { id: "run-status", class: "run-load-status", role: "status" });
    const input = h("input", {
      type: "file",
      id: "run-file",
      multiple: true,
      accept: ".jsonl,.ndjson,.json",
      class: "run-file-input",
      onchange: (e: Event) => {
        const files = (e.target as HTMLInputElement).files;
        if (files) this.openFiles([...files]);
      },
    });
    const drop = h(
      "div",
      { class: "run-drop", id: "run-drop" },
      h(
        "p",
        { class: "run-drop-text" },
        "Drop a run's ",
        h("code", {}, "metrics.jsonl"),
        " here (with its ",
        h("code", {}, "config.json"),
        " and ",
        h("code", {}, "summary.json"),
        " if you have them), or ",
        h("label", { for: "run-file", class: "run-pick" }, "choose files"),
        ".",
      ),
      input,
      h(
        "p",
        { class: "run-drop-text run-note" },
        "The files are read in this browser tab; nothing is uploaded. To open a run directory from the command line: ",
        h("code", {}, "gradscope serve RUN_DIR"),
        ".",
      ),
    );
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      const files = e.dataTransfer?.files;
      if (files && files.length > 0) this.openFiles([...files]);
    });

    this.origin = h("p", { id: "run-origin", class: "config-line" });
    this.verdict = h(
      "p",
      { id: "run-verdict", class: "verdict", "aria-live": "polite" },
      "verdict: diagnosing…",
    );
    this.findings = h("pre", { id: "run-findings", class: "run-findings" });
    this.notes = h("p", { id: "run-notes", class: "config-line" });
    const slot = (name: string, caption: string) =>
      new RunFigureSlot(
        (r) => this.client.figure(r),
        name,
        caption,
        () => this.figureDrawn(),
      );
    this.slots = {
      loss: slot("run-loss", "Loss over the recorded steps, spikes circled."),
      gradNorm: slot(
        "run-grad-norm",
        "Global gradient norm over the recorded steps (log scale when it spans decades), spikes circled.",
      ),
      heatmap: slot(
        "run-heatmap",
        "Weight-gradient norm per module (rows) over training steps (columns), on a fixed log colour scale.",
      ),
      updates: slot(
        "run-updates",
        "Update-to-weight ratio log₁₀(std ΔW / std W) per module over training steps.",
      ),
      histograms: slot(
        "run-histograms",
        "Log-binned histogram of one module over training steps: the share of entries in each power-of-two bin.",
      ),
    };
    this.moduleControls = h("div", { class: "run-modules", id: "run-modules" });
    this.histModule = h("select", { id: "run-hist-module", onchange: () => this.drawHistograms() });
    this.histKind = h(
      "select",
      { id: "run-hist-kind", onchange: () => this.drawHistograms() },
      h("option", { value: "grad" }, "|∂L/∂z| (gradient)"),
      h("option", { value: "act" }, "|activation|"),
    );
    this.histControls = h(
      "div",
      { class: "run-controls" },
      h("label", { for: "run-hist-module", class: "inline" }, "Module"),
      this.histModule,
      h("label", { for: "run-hist-kind", class: "inline" }, "Histogram of"),
      this.histKind,
    );
    this.cells = {
      updates: h("div", { class: "fig-cell wide" }, this.slots.updates.element),
      histograms: h(
        "div",
        { class: "fig-cell wide" },
        this.histControls,
        this.slots.histograms.element,
      ),
    };
    this.results = h(
      "div",
      { id: "run-results", class: "run-results", hidden: true },
      this.origin,
      this.verdict,
      h(
        "details",
        { class: "run-diagnosis", open: true },
        h("summary", {}, "Findings (as ", h("code", {}, "gradscope diagnose"), " prints them)"),
        this.findings,
      ),
      this.notes,
      h(
        "div",
        { class: "fig-grid run-grid" },
        h("div", { class: "fig-cell" }, this.slots.loss.element),
        h("div", { class: "fig-cell" }, this.slots.gradNorm.element),
        h("div", { class: "fig-cell wide" }, this.moduleControls, this.slots.heatmap.element),
        this.cells.updates,
        this.cells.histograms,
      ),
    );
    const reload = h(
      "button",
      { type: "button", id: "run-reload", hidden: true, onclick: () => this.openServed() },
      "Reload the served run",
    );
    this.panel = h(
      "div",
      { class: "panel", id: "panel-run", hidden: true },
      h(
        "section",
        { class: "story wide run-view" },
        h("h2", {}, "Run"),
        h(
          "p",
          { class: "story-details" },
          "A recorded run: from ",
          h("code", {}, "gradscope train"),
          ", or from your own PyTorch model (",
          h("code", {}, "python/gradscope_hook.py"),
          "). The verdict and findings are those of ",
          h("code", {}, "gradscope diagnose"),
          ".",
        ),
        drop,
        h("div", { class: "run-controls" }, reload),
        this.status,
        this.results,
      ),
    );
    let resizeTimer: ReturnType<typeof setTimeout> | null = null;
    window.addEventListener("resize", () => {
      if (resizeTimer !== null) clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (!this.panel.hidden) for (const s of Object.values(this.slots)) s.refresh();
      }, 250);
    });
  }

  get visible(): boolean {
    return !this.panel.hidden;
  }

  /** Make the Run view the visible page (the caller hides the others). */
  show(): void {
    this.panel.hidden = false;
    for (const a of this.link.parentElement?.querySelectorAll("a") ?? [])
      a.removeAttribute("aria-current");
    this.link.setAttribute("aria-current", "page");
    document.title = "Run · gradscope";
    for (const p of document.querySelectorAll<HTMLElement>("#main > .panel")) {
      if (p !== this.panel) p.hidden = true;
    }
    if (!this.servedChecked) {
      this.servedChecked = true;
      servedRunBase().then((base) => {
        if (base !== null && this.overview === null) this.openServed();
      });
    }
    if (this.overview) for (const s of Object.values(this.slots)) s.refresh();
  }

  hide(): void {
    this.panel.hidden = true;
    this.link.removeAttribute("aria-current");
  }

  /** Read the run the server offers (gradscope serve RUN_DIR). */
  openServed(): void {
    servedRunBase().then((base) => {
      if (base === null) {
        this.status.textContent =
          "This server offers no run: start it with gradscope serve RUN_DIR, or drop files above.";
        return;
      }
      (this.panel.querySelector("#run-reload") as HTMLElement).hidden = false;
      this.start({ kind: "url", base }, "the served run");
    });
  }

  openFiles(files: File[]): void {
    const { metrics, config, summary } = classifyFiles(files);
    if (!metrics) {
      this.status.textContent = `No metrics file among ${files.map((f) => f.name).join(", ")}: drop a metrics.jsonl (one JSON record per line).`;
      this.status.dataset.state = "failed";
      return;
    }
    this.start({ kind: "files", metrics, config, summary }, metrics.name);
  }

  private start(source: RunSource, what: string): void {
    this.overview = null;
    this.firstFigureMs = null;
    this.started = performance.now();
    for (const s of Object.values(this.slots)) s.clear();
    this.results.hidden = true;
    this.status.dataset.state = "loading";
    delete this.panel.dataset.firstFigureMs;
    this.status.textContent = `Reading ${what}…`;
    this.client.load(source);
  }

  private onMessage(m: FromRunWorker): void {
    switch (m.type) {
      case "progress": {
        const share = m.total ? ` (${Math.round((100 * m.bytes) / m.total)}%)` : "";
        this.status.textContent = `Reading: ${m.records.toLocaleString("en")} records${share}…`;
        return;
      }
      case "failed":
        this.status.dataset.state = "failed";
        this.status.textContent = `Could not read the run: ${m.message}`;
        return;
      case "loaded":
        this.loaded(m.overview);
        return;
      case "diagnosis":
        this.diagnosed(m.result);
        return;
    }
  }

  private loaded(o: RunOverview): void {
    this.overview = o;
    const expanded = o.modules.length <= EXPANDED_LIMIT;
    this.choice = {
      order: this.choice.order,
      collapsed: expanded ? [] : o.groups.filter((g) => g.members.length > 1).map((g) => g.key),
    };
    this.status.dataset.state = "loaded";
    const bad = o.badLines > 0 ? `; ${o.badLines} line(s) skipped (${o.firstBadLine})` : "";
    this.status.textContent = `${o.name}: ${o.records.toLocaleString("en")} recorded steps read from ${o.files.join(", ")} in ${Math.round(o.parseMs)} ms${bad}.`;
    this.origin.textContent = `${o.origin}; ${o.records} recorded steps (${o.firstStep}..${o.lastStep}), status ${o.status ?? "unknown"}`;
    this.verdict.dataset.verdict = "";
    replace(this.verdict, "verdict: diagnosing…");
    this.findings.textContent = "";
    const notes = [
      `Spikes: a value more than ${SPIKE_FACTOR}× the median of the ${SPIKE_WINDOW} recorded steps before it (loss: ${o.lossSpikes}, gradient norm: ${o.gradSpikes}).`,
      o.firstNonFiniteStep !== null
        ? `First NaN/Inf at step ${o.firstNonFiniteStep}.`
        : "No NaN/Inf recorded.",
    ];
    this.notes.textContent = notes.join(" ");
    this.results.hidden = false;
    this.buildModuleControls();
    this.cells.updates.hidden = !o.hasUpdateRatio;
    this.cells.histograms.hidden = !o.hasHist;
    replace(this.histModule, ...o.modules.map((m) => h("option", { value: m.index }, m.name)));
    this.slots.loss.update((width) => ({ kind: "loss", width }));
    if (o.hasGradNorm) this.slots.gradNorm.update((width) => ({ kind: "gradNorm", width }));
    this.slots.gradNorm.element.parentElement!.hidden = !o.hasGradNorm;
    this.drawModules();
    if (o.hasHist) this.drawHistograms();
    // after the figure requests: the worker answers in order, so figures come first
    this.client.diagnose();
  }

  private diagnosed(r: RunDiagnosisMessage): void {
    this.verdict.dataset.verdict = r.verdict;
    const rest = r.verdictMessage.startsWith(r.verdict)
      ? r.verdictMessage.slice(r.verdict.length)
      : ` ${r.verdictMessage}`;
    replace(
      this.verdict,
      "verdict: ",
      h("strong", { class: `verdict-${r.verdict}` }, r.verdict),
      rest,
    );
    this.findings.textContent = r.lines.join("\n");
    this.panel.dataset.diagnosisMs = r.ms.toFixed(0);
  }

  private figureDrawn(): void {
    if (this.firstFigureMs !== null) return;
    this.firstFigureMs = performance.now() - this.started;
    this.panel.dataset.firstFigureMs = this.firstFigureMs.toFixed(0);
  }

  private drawModules(): void {
    const rows = { order: this.choice.order, collapsed: [...this.choice.collapsed] };
    this.slots.heatmap.update((width) => ({ kind: "heatmap", width, rows }));
    if (this.overview?.hasUpdateRatio)
      this.slots.updates.update((width) => ({ kind: "updates", width, rows }));
  }

  private drawHistograms(): void {
    const module = Number(this.histModule.value || 0);
    const hist = this.histKind.value === "act" ? "act" : "grad";
    this.slots.histograms.update((width) => ({ kind: "histograms", width, module, hist }));
  }

  /** Sort toggle and one collapse button per group of modules sharing a path prefix. */
  private buildModuleControls(): void {
    const o = this.overview!;
    const order = h(
      "select",
      {
        id: "run-order",
        title:
          "gradient norm: each module's median ‖∂L/∂W‖ over the recorded steps (a group's: the root of its members' squares summed)",
        onchange: (e: Event) => {
          this.choice = {
            ...this.choice,
            order: (e.target as HTMLSelectElement).value === "norm" ? "norm" : "depth",
          };
          this.drawModules();
        },
      },
      h(
        "option",
        { value: "depth", selected: this.choice.order === "depth" },
        "depth (as recorded)",
      ),
      h(
        "option",
        { value: "norm", selected: this.choice.order === "norm" },
        "gradient norm, largest first",
      ),
    );
    const groups = o.groups.filter((g) => g.members.length > 1);
    const toggles = groups.map((g) => {
      const collapsed = this.choice.collapsed.includes(g.key);
      return h(
        "button",
        {
          type: "button",
          class: "small run-group",
          "data-group": g.key,
          "aria-expanded": String(!collapsed),
          title: collapsed
            ? `Show the ${g.members.length} modules of ${g.label} as rows`
            : `Show ${g.label} as one row (its norm: the root of the members' squares summed)`,
          onclick: () => this.toggleGroup(g.key),
        },
        `${collapsed ? "▸" : "▾"} ${g.label} (${g.members.length})`,
      );
    });
    const all = (collapse: boolean) =>
      h(
        "button",
        {
          type: "button",
          class: "small",
          id: collapse ? "run-collapse-all" : "run-expand-all",
          onclick: () => {
            this.choice = { ...this.choice, collapsed: collapse ? groups.map((g) => g.key) : [] };
            this.buildModuleControls();
            this.drawModules();
          },
        },
        collapse ? "Collapse all" : "Expand all",
      );
    replace(
      this.moduleControls,
      h(
        "div",
        { class: "run-controls" },
        h("label", { for: "run-order", class: "inline" }, "Order modules by"),
        order,
      ),
    );
    if (groups.length > 0) {
      append(
        this.moduleControls,
        h(
          "div",
          { class: "run-groups", role: "group", "aria-label": "Module groups" },
          h("span", { class: "inline" }, "Groups:"),
          ...toggles,
          all(true),
          all(false),
        ),
      );
    }
  }

  private toggleGroup(key: string): void {
    const set = new Set(this.choice.collapsed);
    if (set.has(key)) set.delete(key);
    else set.add(key);
    this.choice = { ...this.choice, collapsed: [...set] };
    this.buildModuleControls();
    this.drawModules();
  }
}

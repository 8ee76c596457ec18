import { DeepClient } from "./deep-client.ts";
import { FigureClient } from "./figures.ts";
import type { LabInput } from "./lab-options.ts";
import { isRunHash, RUN_HASH, RunPage } from "./run-view/run-page.ts";
import { servedRunBase } from "./run-view/served-run.ts";
import { CompareView, REMEDIES } from "./ui/compare-view.ts";
import { NormStory, TimeStory } from "./ui/deep-pages.ts";
import { h } from "./ui/dom.ts";
import { LabView } from "./ui/lab-view.ts";
import {
  ActivationStory,
  DeepStory,
  deepSigmoidInput,
  MatrixStory,
  type StoryHost,
} from "./ui/stories.ts";
import {
  DEFAULT_MATRIX,
  decodeState,
  defaultPageState,
  encodeState,
  type PageState,
  type View,
} from "./url-state.ts";

/**
 * The browser lab: one page with a lab and four guided pages. The URL hash holds the active
 * page and its whole state (the seed included), written on every change and read on load
 * and whenever the user edits it, so a link reproduces what it shows.
 */

const TITLES: Record<View, string> = {
  lab: "Lab",
  matrix: "1 · Matrix powers",
  activation: "2 · An activation's slope",
  deep: "3 · Deep sigmoid vanishes",
  compare: "4 · Remedies side by side",
  time: "5 · Through time",
  norm: "6 · Where LayerNorm sits",
};

const figures = new FigureClient();
const state: PageState = defaultPageState();
let lastHash = "";

function compareDefaults(depth: number): { a: LabInput; b: LabInput } {
  const a = deepSigmoidInput(depth);
  const b = { ...a, ...REMEDIES[0].patch, ...REMEDIES[2].patch };
  return { a, b };
}

const storyHost: StoryHost = {
  figures,
  changed: () => {
    state.matrix = matrix.matrix;
    state.layers = state.view === "deep" ? deep.layers : matrix.layers;
    state.fn = activation.fn;
    writeHash();
  },
  openInLab: (input) => openLab(input),
  openComparison: (input) => {
    const b = { ...input, ...REMEDIES[0].patch, ...REMEDIES[2].patch };
    show("compare", true);
    state.input = input;
    state.compare = b;
    compare.set(input, b);
    writeHash(true);
  },
};

const lab = new LabView(figures, (input) => {
  state.input = input;
  writeHash();
});
const matrix = new MatrixStory(storyHost);
const activation = new ActivationStory(storyHost);
const deep = new DeepStory(storyHost);
const probes = new DeepClient();
const deepHost = {
  figures,
  probes,
  changed: () => {
    if (state.view === "time") state.time = { ...time.state };
    if (state.view === "norm") state.blocks = norm.blocks;
    writeHash();
  },
};
const time = new TimeStory(deepHost);
const norm = new NormStory(deepHost);
const compare = new CompareView(
  figures,
  () => {
    state.input = compare.a;
    state.compare = compare.b;
    writeHash();
  },
  (input) => openLab(input),
);

const panels: Record<View, HTMLElement> = {
  lab: lab.element,
  matrix: matrix.element,
  activation: activation.element,
  deep: deep.element,
  compare: compare.element,
  time: time.element,
  norm: norm.element,
};
/** Which views have been given their state since the page loaded. */
const loaded = new Set<View>();

const nav = document.getElementById("nav")!;
const main = document.getElementById("main")!;
const links = new Map<View, HTMLAnchorElement>();
for (const view of Object.keys(TITLES) as View[]) {
  const link = h("a", { href: `#view=${view}`, "data-view": view }, TITLES[view]);
  links.set(view, link);
  nav.append(link);
  const panel = h("div", { class: "panel", id: `panel-${view}`, hidden: true }, panels[view]);
  main.append(panel);
}
// The Run view (a recorded run, served or dropped) keeps no state in the hash: #view=run.
const runPage = new RunPage();
nav.append(runPage.link);
main.append(runPage.panel);

function openLab(input: LabInput): void {
  show("lab", true);
  state.input = { ...input };
  lab.load(state.input, new Map(), new Map());
  loaded.add("lab");
  writeHash(true);
}

/** Make `view` the visible page. */
function show(view: View, fromCode = false): void {
  runPage.hide();
  state.view = view;
  for (const [v, link] of links) {
    if (v === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    document.getElementById(`panel-${v}`)!.hidden = v !== view;
  }
  document.title = `${TITLES[view]} · gradscope`;
  if (fromCode) loaded.add(view);
}

function writeHash(push = false): void {
  const hash = encodeState(state);
  if (hash === lastHash) return;
  lastHash = hash;
  if (push) history.pushState(null, "", hash);
  else history.replaceState(null, "", hash);
}

/** Read the hash: switch page and give it the state the link holds, explaining problems. */
function applyHash(): void {
  const hash = location.hash;
  if (isRunHash(hash)) {
    runPage.show();
    lastHash = hash;
    return;
  }
  if (hash === lastHash && loaded.has(state.view)) return;
  const { state: decoded, errors, rejected } = decodeState(hash);
  const hasConfig = [...new URLSearchParams(hash.slice(1)).keys()].some(
    (k) => k !== "view" && k !== "b",
  );
  show(decoded.view);
  const banner = document.getElementById("link-errors")!;
  const general = ["view", ""].map((k) => errors.get(k)).filter(Boolean);
  banner.hidden = general.length === 0;
  banner.textContent = general.length > 0 ? `This link has a problem: ${general.join("; ")}` : "";
  switch (decoded.view) {
    case "lab": {
      state.input = decoded.input;
      const labErrors = new Map([...errors].filter(([k]) => k !== "view"));
      lab.load(decoded.input, rejected, labErrors);
      break;
    }
    case "matrix":
      state.matrix = decoded.matrix;
      state.layers = decoded.layers;
      matrix.set(decoded.matrix, decoded.layers);
      for (const key of ["matrix", "layers"] as const) {
        const text = rejected.get(key);
        if (text !== undefined) matrix.reject(key, text, errors.get(key) ?? "");
      }
      break;
    case "activation":
      state.fn = decoded.fn;
      activation.set(decoded.fn);
      break;
    case "deep":
      state.layers = decoded.layers;
      deep.set(decoded.layers);
      break;
    case "time":
      state.time = decoded.time;
      time.set(decoded.time);
      break;
    case "norm":
      state.blocks = decoded.blocks;
      norm.set(decoded.blocks);
      break;
    case "compare": {
      let a = decoded.input;
      let b = decoded.compare;
      if (!hasConfig) ({ a, b } = compareDefaults(30));
      state.input = a;
      state.compare = b;
      compare.set(a, b);
      const problems = [...errors].filter(([k]) => k !== "view").map(([, m]) => m);
      if (problems.length > 0) {
        banner.hidden = false;
        banner.textContent = `This link has a problem: ${problems.join("; ")}`;
      }
      break;
    }
  }
  if (decoded.view === "time" || decoded.view === "norm") {
    const keys = decoded.view === "time" ? ["cell", "phi", "rho", "T"] : ["blocks"];
    const problems = keys.map((k) => errors.get(k)).filter(Boolean);
    if (problems.length > 0) {
      banner.hidden = false;
      banner.textContent = `This link has a problem: ${problems.join("; ")} (the default is shown)`;
    }
  }
  loaded.add(decoded.view);
  lastHash = "";
  if (errors.size === 0) writeHash();
  else lastHash = hash;
}

// Links between pages: keep each page's own state when coming back to it.
nav.addEventListener("click", (event) => {
  const link = (event.target as HTMLElement).closest("a[data-view]");
  if (!link) return;
  event.preventDefault();
  const view = (link as HTMLElement).dataset.view as View;
  if (view === state.view && !runPage.visible) return;
  show(view);
  if (!loaded.has(view)) {
    loaded.add(view);
    switch (view) {
      case "lab":
        lab.load(state.input, new Map(), new Map());
        break;
      case "matrix":
        matrix.set(
          state.matrix.length > 0 ? state.matrix : DEFAULT_MATRIX.map((r) => r.slice()),
          state.layers,
        );
        break;
      case "activation":
        activation.set(state.fn);
        break;
      case "deep":
        deep.set(30);
        break;
      case "time":
        time.set(state.time);
        break;
      case "norm":
        norm.set(state.blocks);
        break;
      case "compare": {
        const { a, b } = compareDefaults(deep.active ? deep.layers : 30);
        compare.set(a, b);
        break;
      }
    }
  }
  // The hash holds the visible page's state.
  if (view === "compare") {
    state.input = compare.a;
    state.compare = compare.b;
  } else if (view === "lab") state.input = lab.input;
  else if (view === "deep") state.layers = deep.layers;
  else if (view === "time") state.time = { ...time.state };
  else if (view === "norm") state.blocks = norm.blocks;
  else if (view === "matrix") {
    state.matrix = matrix.matrix;
    state.layers = matrix.layers;
  }
  writeHash(true);
  const heading = document.getElementById(`panel-${view}`)!.querySelector<HTMLElement>("h2");
  heading?.setAttribute("tabindex", "-1");
  heading?.focus();
});

document.getElementById("skip")!.addEventListener("click", (event) => {
  event.preventDefault();
  const panel = document.getElementById(`panel-${state.view}`)!;
  const target = panel.querySelector<HTMLElement>("input, select, textarea, button");
  target?.focus();
});

window.addEventListener("hashchange", applyHash);
window.addEventListener("popstate", applyHash);
let resizeTimer: ReturnType<typeof setTimeout> | null = null;
window.addEventListener("resize", () => {
  if (resizeTimer !== null) clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => lab.refreshFigures(), 250);
});

// Served with a run (gradscope serve RUN_DIR) and opened without a hash: open on the run.
if (location.hash === "" || location.hash === "#") {
  servedRunBase().then((base) => {
    if (base !== null && (location.hash === "" || location.hash === "#")) {
      history.replaceState(null, "", RUN_HASH);
    }
    applyHash();
  });
} else {
  applyHash();
}

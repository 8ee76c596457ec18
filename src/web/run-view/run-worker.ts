/**
 * The Run view's worker: reads a run (from the server's run route or from dropped files),
 * streaming metrics.jsonl line by line into a RunStore, then draws the Run view's figures
 * on request with the report module's plot code on a linkedom document, and diagnoses the
 * run. The page's thread never parses or draws: a 10^5-record run costs it nothing but the
 * finished SVG.
 */
import type { FigureDocument } from "../../report/dom.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { diagnoseStore } from "./diagnosis.ts";
import { RunFigures } from "./figure-data.ts";
import { histogramSteps } from "./figures/histogram-steps.ts";
import { moduleHeatmap } from "./figures/module-heatmap.ts";
import { stepSeries } from "./figures/step-series.ts";
import { updateRatioRows } from "./figures/update-ratio.ts";
import { parseRecordLine, RecordError, reviveNonFinite } from "./parse.ts";
import type { FromRunWorker, RunFigureRequest, RunSource, ToRunWorker } from "./protocol.ts";
import { readLines } from "./read-stream.ts";
import { type AnyRunConfig, originLine, RunStore, type RunSummary } from "./run-store.ts";
import { SPIKE_FACTOR, SPIKE_WINDOW } from "./spikes.ts";

interface WorkerScope {
  postMessage(message: FromRunWorker): void;
  addEventListener(type: "message", listener: (event: { data: ToRunWorker }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;
const document: FigureDocument = nodeDocument();
const SPIKE_RULE = `> ${SPIKE_FACTOR}× the median of the last ${SPIKE_WINDOW} steps`;

interface Loaded {
  loadId: number;
  store: RunStore;
  figures: RunFigures;
  summary: RunSummary | null;
}
let current: Loaded | null = null;
let loading = 0;

class LoadError extends Error {}

async function fetchText(url: string, optional: boolean): Promise<string | null> {
  const res = await fetch(url, { cache: "no-store" });
  if (res.status === 404 && optional) return null;
  if (!res.ok) throw new LoadError(`${url}: HTTP ${res.status}`);
  return res.text();
}

function parseJson<T>(text: string | null, what: string): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text, reviveNonFinite) as T;
  } catch (err) {
    throw new LoadError(`${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function load(loadId: number, source: RunSource): Promise<void> {
  const start = performance.now();
  let configText: string | null;
  let summaryText: string | null;
  let metrics: ReadableStream<Uint8Array>;
  let total: number | null = null;
  let name: string;
  const files: string[] = [];
  if (source.kind === "url") {
    const manifest = parseJson<{ name?: string }>(
      await fetchText(`${source.base}manifest.json`, false),
      "manifest.json",
    );
    name = manifest?.name ?? "run";
    configText = await fetchText(`${source.base}config.json`, true);
    summaryText = await fetchText(`${source.base}summary.json`, true);
    const res = await fetch(`${source.base}metrics.jsonl`, { cache: "no-store" });
    if (!res.ok || !res.body)
      throw new LoadError(`the run has no metrics.jsonl (HTTP ${res.status})`);
    const length = Number(res.headers.get("Content-Length"));
    total = Number.isFinite(length) && length > 0 ? length : null;
    metrics = res.body;
    files.push(...(configText !== null ? ["config.json"] : []), "metrics.jsonl");
    if (summaryText !== null) files.push("summary.json");
  } else {
    name = source.metrics.name;
    configText = source.config ? await source.config.text() : null;
    summaryText = source.summary ? await source.summary.text() : null;
    metrics = source.metrics.stream();
    total = source.metrics.size;
    for (const f of [source.config, source.metrics, source.summary]) if (f) files.push(f.name);
  }
  const config = parseJson<AnyRunConfig>(configText, "config.json");
  const summary = parseJson<RunSummary>(summaryText, "summary.json");
  const store = new RunStore(config);
  let lastPost = performance.now();
  await readLines(
    metrics,
    (line, lineNumber, unterminated) => {
      try {
        store.add(parseRecordLine(line));
      } catch (err) {
        // a last line without its newline is a write cut short (a live or killed run): skip it
        if (unterminated) return;
        store.rejectLine(lineNumber, err instanceof RecordError ? err.message : String(err));
      }
    },
    (bytes) => {
      const now = performance.now();
      if (now - lastPost > 100 && loadId === loading) {
        lastPost = now;
        scope.postMessage({ type: "progress", loadId, records: store.size, bytes, total });
      }
    },
  );
  if (loadId !== loading) return;
  if (store.size === 0) {
    const why = store.badLines[0];
    throw new LoadError(
      `no records in metrics.jsonl${why ? ` (line ${why.line}: ${why.message})` : ""}`,
    );
  }
  const figures = new RunFigures(store, summary);
  current = { loadId, store, figures, summary };
  const bad = store.badLines[0];
  scope.postMessage({
    type: "loaded",
    loadId,
    overview: {
      name,
      origin: originLine(config, store.modules.length),
      records: store.size,
      firstStep: store.steps[0] ?? null,
      lastStep: store.steps[store.size - 1] ?? null,
      status: typeof summary?.status === "string" ? summary.status : null,
      modules: store.modules,
      groups: figures.groups,
      hasHist: store.hasHist,
      hasUpdateRatio: store.hasUpdateRatio,
      hasGradNorm: store.gradNorm.some(Number.isFinite),
      lossSpikes: figures.lossSpikes.length,
      gradSpikes: figures.gradSpikes.length,
      firstNonFiniteStep: figures.firstNonFiniteStep,
      badLines: store.badLineCount,
      firstBadLine: bad ? `line ${bad.line}: ${bad.message}` : null,
      files,
      parseMs: performance.now() - start,
    },
  });
}

function draw(run: Loaded, request: RunFigureRequest): string {
  const f = run.figures;
  const frame = { document, width: request.width };
  switch (request.kind) {
    case "loss":
    case "gradNorm":
      return stepSeries(f.series(request.kind, request.width), { ...frame, spikeRule: SPIKE_RULE });
    case "heatmap":
      return moduleHeatmap(f.heatmap(request.rows, request.width), frame);
    case "updates":
      return updateRatioRows(f.updates(request.rows, request.width), frame);
    case "histograms":
      return histogramSteps(f.histograms(request.module, request.hist), frame);
  }
}

scope.addEventListener("message", (event) => {
  const message = event.data;
  switch (message.type) {
    case "load":
      loading = message.loadId;
      current = null;
      load(message.loadId, message.source).catch((err: unknown) => {
        if (message.loadId !== loading) return;
        scope.postMessage({
          type: "failed",
          loadId: message.loadId,
          message: err instanceof Error ? err.message : String(err),
        });
      });
      return;
    case "figure": {
      const start = performance.now();
      if (!current || current.loadId !== message.loadId) {
        scope.postMessage({ type: "figureError", id: message.id, message: "run not loaded" });
        return;
      }
      try {
        const svg = draw(current, message.request);
        scope.postMessage({ type: "figure", id: message.id, svg, ms: performance.now() - start });
      } catch (err) {
        scope.postMessage({
          type: "figureError",
          id: message.id,
          message: err instanceof Error ? err.message : String(err),
        });
      }
      return;
    }
    case "diagnose": {
      if (!current || current.loadId !== message.loadId) return;
      const start = performance.now();
      const d = diagnoseStore(current.store, current.summary);
      // the Diagnosis object stays here: the page needs only the words
      scope.postMessage({
        type: "diagnosis",
        loadId: message.loadId,
        result: {
          verdict: d.verdict,
          verdictMessage: d.verdictMessage,
          lines: d.lines,
          ms: performance.now() - start,
        },
      });
    }
  }
});

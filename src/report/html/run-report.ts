import { LAYER_METRIC_COLUMNS } from "../../experiment/csv-export.ts";
import { GLOSSARY } from "../../experiment/glossary.ts";
import {
  diagnoseRunContents,
  type ImportedRunConfig,
  isImportedConfig,
} from "../../experiment/run-diagnosis.ts";
import type { LayerRecord, TrainRecord, TrainSummary } from "../../experiment/train/recorder.ts";
import type { ResolvedTrainConfig } from "../../experiment/train/train-config.ts";
import type { NamedFigure } from "../figures-for/common.ts";
import { describeRun } from "../figures-for/train.ts";
import { formatNumber, formatPercent } from "../format.ts";
import { readDiagnosis, renderDiagnosis, renderVerdicts } from "./diagnosis.ts";
import { escapeHtml, inlineSvg } from "./escape.ts";
import { type PageSection, renderPage } from "./page.ts";

/**
 * The HTML report of a training run, from what its directory holds (browser-safe: strings in,
 * a string out). Sections: diagnosis (or verdicts), run summary, figures as inline SVG, the
 * per-layer table of the last recorded step, the configuration, notes and files.
 */

export interface RunReportInput {
  /** The run directory as the user named it (shown, escaped). */
  dir: string;
  /** Ours, or a run recorded from the user's own model (python/gradscope_hook.py). */
  config: ResolvedTrainConfig | ImportedRunConfig;
  records: readonly TrainRecord[];
  summary: TrainSummary;
  figures: readonly NamedFigure[];
  /** Things the reader should know (skipped figures, a torn last line, ...); plain text. */
  notes?: readonly string[];
  /** Figure files written beside the report, relative to it (e.g. figures/loss-curves.png). */
  files?: readonly string[];
  /** e.g. "gradscope 0.1.0". */
  generator?: string;
}

/** One-line definitions of the per-layer fields: the glossary's (src/experiment/glossary.ts). */
export const METRIC_DEFINITIONS: Readonly<Record<string, string>> = Object.fromEntries(
  [...GLOSSARY.values()].map((e) => [e.key, e.definition]),
);

const FRACTIONS = new Set(["saturated", "lowDerivative", "inactive", "dead"]);

function fullValue(v: unknown): string {
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  return v === null || v === undefined ? "" : String(v);
}

/** A cell of the per-layer table: formatted text, class (bad / warn) and the exact value. */
function metricCell(key: string, m: LayerRecord): string {
  const v = (m as unknown as Record<string, unknown>)[key];
  let text: string;
  let cls = "";
  if (v === null || v === undefined) text = "—";
  else if (typeof v === "boolean") {
    text = v ? "yes" : "";
    if (v && key === "underflow") cls = "bad";
  } else if (typeof v === "number") {
    if (key === "layer" || key === "nonfinite" || key === "subnormal") text = String(v);
    else if (FRACTIONS.has(key)) text = formatPercent(v);
    else text = formatNumber(v, 3);
    if (!Number.isFinite(v) && key !== "updateRatio") cls = "bad";
    if (key === "nonfinite" && v > 0) cls = "bad";
    if (key === "subnormal" && v > 0) cls = "warn";
    if ((key === "dead" || key === "saturated") && v >= 0.1) cls = v >= 0.5 ? "bad" : "warn";
    // The update was lost to rounding: the layer did not move at all this step.
    if (key === "updateRatio" && v === Number.NEGATIVE_INFINITY) cls = "warn";
  } else text = String(v);
  const title =
    typeof v === "number" || typeof v === "boolean" ? ` title="${escapeHtml(fullValue(v))}"` : "";
  return `<td${cls ? ` class="${cls}"` : ""}${title}>${escapeHtml(text)}</td>`;
}

/**
 * Column headers of the per-layer table: a display name for every field (never a camelCase
 * name split at an arbitrary capital, "gradTo Weight"); the field name stays in the tooltip and
 * the definitions. Soft hyphens let long single words wrap in narrow columns.
 */
export const METRIC_DISPLAY_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  [...GLOSSARY.values()].map((e) => [e.key, e.display]),
);

/** The header of a field: its display name, or the field name escaped when it has none. */
export function metricHeader(name: string): string {
  return METRIC_DISPLAY_NAMES[name] ?? escapeHtml(name);
}

/** The per-layer table of one record (every field of the contract, plus updateRatio). */
export function layerTable(record: TrainRecord): string {
  const columns = [...LAYER_METRIC_COLUMNS, "updateRatio"];
  const head = columns
    .map(
      (c) =>
        `<th scope="col" title="${escapeHtml(`${c}: ${METRIC_DEFINITIONS[c] ?? ""}`)}">${metricHeader(c)}</th>`,
    )
    .join("");
  const rows = record.layers
    .map((m) => `<tr>${columns.map((c) => metricCell(c, m)).join("")}</tr>`)
    .join("\n");
  const defs = columns
    .map(
      (c) =>
        `<dt>${metricHeader(c)} <code>${escapeHtml(c)}</code></dt><dd>${escapeHtml(METRIC_DEFINITIONS[c] ?? "")}</dd>`,
    )
    .join("");
  return `<div class="scroll"><table class="data"><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table></div>
<details><summary>What the columns mean</summary><dl class="defs">${defs}</dl>
<p class="note">Shares are shown as percentages; hover a cell for its exact value. Highlighted: NaN/Inf, underflow, layers with 10% or more dead or saturated units, and an updateRatio of −∞ (the update was lost to rounding: the layer did not move).</p></details>`;
}

function kvValue(v: unknown): string {
  if (v === null || v === undefined) return `<span class="null">—</span>`;
  if (typeof v === "number") return escapeHtml(Number.isFinite(v) ? String(v) : fullValue(v));
  if (typeof v === "string" || typeof v === "boolean") return escapeHtml(String(v));
  return `<code>${escapeHtml(JSON.stringify(v))}</code>`;
}

function kvTable(entries: readonly (readonly [string, unknown])[]): string {
  return `<table class="kv"><tbody>${entries
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${kvValue(v)}</td></tr>`)
    .join("")}</tbody></table>`;
}

/** Split key/value pairs into two balanced columns. */
function kvColumns(entries: readonly (readonly [string, unknown])[]): string {
  const half = Math.ceil(entries.length / 2);
  return `<div class="kv-columns">${kvTable(entries.slice(0, half))}${kvTable(entries.slice(half))}</div>`;
}

const n = (v: number | null | undefined, digits = 4): string | null =>
  typeof v === "number" ? formatNumber(v, digits) : null;

function summaryEntries(s: TrainSummary): [string, unknown][] {
  const entries: [string, unknown][] = [
    ["status", s.status],
    ["steps done", typeof s.steps === "number" ? `${s.stepsDone} of ${s.steps}` : s.stepsDone],
    ["epochs", s.epochs],
    ["minibatch loss, first step", n(s.initialLoss)],
    ["minibatch loss, last step", n(s.finalLoss)],
    ["last evaluation at step", s.evalStep],
    [
      "train loss / accuracy",
      s.trainLoss == null
        ? null
        : `${n(s.trainLoss)}${s.trainAcc == null ? "" : ` / ${formatPercent(s.trainAcc)}`}`,
    ],
    [
      "test loss / accuracy",
      s.testLoss == null
        ? null
        : `${n(s.testLoss)}${s.testAcc == null ? "" : ` / ${formatPercent(s.testAcc)}`}`,
    ],
    [
      "best test accuracy",
      s.bestTestAcc == null ? null : `${formatPercent(s.bestTestAcc)} at step ${s.bestTestAccStep}`,
    ],
    ["final learning rate", s.finalLr],
    ["clipped steps", s.clippedSteps],
    ["recorded steps", s.recordedSteps],
    ["wall time", typeof s.elapsedMs === "number" ? `${(s.elapsedMs / 1000).toFixed(1)} s` : null],
  ];
  // (summaries written before this field existed lack it)
  const bn = s.batchNorm;
  if (bn) {
    const r = bn.runningStats;
    const old =
      r.testLoss === null
        ? `train loss ${n(r.trainLoss)}`
        : `test loss ${n(r.testLoss)}${r.testAcc === null ? "" : ` / ${formatPercent(r.testAcc)}`}`;
    entries.push([
      "batch norm",
      `final evaluation with running statistics recomputed from the final weights (${bn.recalibratedLayers} layers); with the momentum averages: ${old}`,
    ]);
  }
  if (s.dataset) entries.push(["data", s.dataset.description]);
  if (s.error) entries.push(["error", s.error]);
  return entries;
}

function figureHtml(f: NamedFigure): string {
  return `<figure id="fig-${escapeHtml(f.name)}" aria-label="${escapeHtml(f.title)}">
${inlineSvg(f.svg)}
${f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : ""}
</figure>`;
}

export function renderRunReport(input: RunReportInput): string {
  const { config, records, summary } = input;
  const first = records[0] ?? null;
  const last = records[records.length - 1] ?? null;
  // Diagnosed afresh from the records with today's rules, so the report says what probe,
  // train and the lab say; a stored diagnosis is the fallback (records unreadable).
  const diagnosis =
    records.length > 0
      ? readDiagnosis({ diagnosis: diagnoseRunContents(config, records, summary).diagnosis })
      : readDiagnosis(summary);
  const statusClass =
    summary.status === "completed" ? "good" : summary.status === "running" ? "info" : "bad";
  const header = [
    `<p class="sub">Run directory <code>${escapeHtml(input.dir)}</code> <span class="badge ${statusClass}">${escapeHtml(summary.status)}</span></p>`,
    `<p class="sub">${escapeHtml(describeRun(config))}</p>`,
  ].join("\n");
  const sections: PageSection[] = [
    {
      id: "diagnosis",
      title: diagnosis ? "Diagnosis" : "Verdicts",
      html: diagnosis
        ? renderDiagnosis(diagnosis)
        : renderVerdicts(summary, first?.step ?? null, last?.step ?? null),
    },
    { id: "summary", title: "Run summary", html: kvColumns(summaryEntries(summary)) },
  ];
  if (input.figures.length > 0) {
    sections.push({
      id: "figures",
      title: "Figures",
      html: input.figures.map(figureHtml).join("\n"),
    });
  }
  sections.push({
    id: "layers",
    title: last ? `Per-layer metrics at step ${last.step} (last recorded)` : "Per-layer metrics",
    html: last ? layerTable(last) : `<p class="note">metrics.jsonl holds no recorded step yet.</p>`,
  });
  sections.push({
    id: "config",
    title: "Configuration",
    html: isImportedConfig(config)
      ? `${kvColumns(Object.entries(config).filter(([k]) => k !== "modules"))}
${kvTable(config.modules.map((m) => [`${m.layer}. ${m.path}`, `${m.type}${m.activation ? ` + ${m.activation}` : ""}${m.params !== undefined ? `, ${m.params} parameters` : ""}`] as const))}
<p class="note">Recorded from the user's own model: gradscope cannot repeat this run.</p>`
      : `${kvColumns(Object.entries(config))}
<p class="note">From config.json: <code>gradscope train --config ${escapeHtml(input.dir)}/config.json --out NEW_DIR</code> repeats the run.</p>`,
  });
  const notes = input.notes ?? [];
  const files = input.files ?? [];
  if (notes.length > 0 || files.length > 0) {
    sections.push({
      id: "notes",
      title: "Notes and files",
      html: [
        notes.length > 0
          ? `<ul>${notes.map((t) => `<li>${escapeHtml(t)}</li>`).join("")}</ul>`
          : "",
        files.length > 0
          ? `<p class="note">Figures also written as files beside this report (they are not needed to read it):</p><p class="mono">${files
              .map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`)
              .join(" · ")}</p>`
          : "",
      ].join("\n"),
    });
  }
  return renderPage({
    title: isImportedConfig(config)
      ? `Training run report: ${config.name ?? config.source}, ${config.modules.length} modules`
      : `Training run report: ${config.dataset}, ${config.activation}, depth ${config.depth}`,
    header,
    sections,
    footer: `Written by ${escapeHtml(input.generator ?? "gradscope")} from <code>config.json</code>, <code>metrics.jsonl</code> and <code>summary.json</code>. Self-contained: no scripts, no external files.`,
  });
}

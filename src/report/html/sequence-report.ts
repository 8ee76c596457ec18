import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SequenceRunData } from "../../experiment/sequence-train/read.ts";
import type { SequenceRecord, SequenceSummary } from "../../experiment/sequence-train/types.ts";
import { isTransformerRun } from "../../experiment/sequence-train/types.ts";
import { judgeSequenceRun } from "../../experiment/sequence-train/verdict.ts";
import type { NamedFigure } from "../figures-for/common.ts";
import { sequenceFigures, sequenceRunSubtitle } from "../figures-for/sequence.ts";
import { formatNumber, formatPercent } from "../format.ts";
import { nodeDocument } from "../node-dom.ts";
import { type FigureFiles, renderFigureFiles } from "../render-node.ts";
import { escapeHtml, inlineSvg } from "./escape.ts";
import { type PageSection, renderPage } from "./page.ts";
import type { WrittenReport } from "./write-report.ts";

/**
 * The report of a recurrent or transformer run (`gradscope report RUN_DIR` on a run of
 * `train --arch`): the verdict (judgeRun over every record, time steps or blocks), the run
 * summary, the figures, the per-time-step or per-block table of the last record, the config.
 */

const cls = (verdict: string | null | undefined): string =>
  verdict === "healthy" ? "good" : verdict === undefined || verdict === null ? "info" : "bad";

/** At most this many rows of the per-point table (first and last kept). */
const MAX_ROWS = 30;

function sampled<T>(rows: readonly T[]): T[] {
  if (rows.length <= MAX_ROWS) return [...rows];
  const out: T[] = [];
  for (let i = 0; i < MAX_ROWS; i++)
    out.push(rows[Math.round((i * (rows.length - 1)) / (MAX_ROWS - 1))]!);
  return out;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<div class="scroll"><table class="data"><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>
${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n")}
</tbody></table></div>`;
}

const n = (v: number | null | undefined): string =>
  typeof v === "number" ? formatNumber(v, 3) : "—";

function pointTable(record: SequenceRecord): string {
  if (record.blocks) {
    return table(
      [
        "block",
        "E[x²] in",
        "E[y²] out",
        "E[(∂L/∂x)²]",
        "‖∂L/∂W₂‖",
        "attn entropy",
        "ffn dead",
        "NaN/Inf",
      ],
      sampled(record.blocks).map((b) => [
        String(b.layer),
        n(b.inputMeanSq),
        n(b.q),
        b.underflow ? "underflow" : n(b.gradInputMeanSq),
        n(b.gradWeightNorm),
        n(b.attention.entropy),
        formatPercent(b.ffn.dead),
        b.nonfinite > 0 ? String(b.nonfinite) : "",
      ]),
    );
  }
  const steps = record.timeSteps ?? [];
  return table(
    ["t", "steps back", "‖∂L/∂hₜ‖", "E[(∂L/∂h)²]", "h std", "saturated", "NaN/Inf"],
    sampled(steps).map((s) => [
      String(s.t),
      String(steps.length - s.t),
      s.underflow ? "underflow" : n(s.gradHiddenNorm),
      n(s.gradHiddenMeanSq),
      n(s.hiddenStd),
      formatPercent(s.saturated),
      s.nonfinite > 0 ? String(s.nonfinite) : "",
    ]),
  );
}

function kv(entries: readonly (readonly [string, unknown])[]): string {
  return `<table class="kv"><tbody>${entries
    .map(
      ([k, v]) =>
        `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v === null || v === undefined ? "—" : String(v))}</td></tr>`,
    )
    .join("")}</tbody></table>`;
}

function summaryEntries(s: SequenceSummary): [string, unknown][] {
  return [
    ["status", s.status],
    ["task", s.task.description],
    ["steps done", `${s.stepsDone} of ${s.steps}`],
    ["minibatch loss, first step", n(s.initialLoss)],
    ["minibatch loss, last step", n(s.finalLoss)],
    [
      "test loss / accuracy",
      s.testLoss === null
        ? null
        : `${n(s.testLoss)}${s.testAcc === null ? "" : ` / ${formatPercent(s.testAcc)}`} at step ${s.evalStep}`,
    ],
    ["input-blind loss", n(s.task.baselineLoss)],
    [
      "chance accuracy",
      s.task.chanceAccuracy === null ? null : formatPercent(s.task.chanceAccuracy),
    ],
    ["clipped steps", s.clippedSteps],
    ["recorded steps", s.recordedSteps],
    ["wall time", `${(s.elapsedMs / 1000).toFixed(1)} s`],
  ];
}

function figureHtml(f: NamedFigure): string {
  return `<figure id="fig-${escapeHtml(f.name)}" aria-label="${escapeHtml(f.title)}">
${inlineSvg(f.svg)}
${f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : ""}
</figure>`;
}

export function renderSequenceReport(
  dir: string,
  run: SequenceRunData,
  figures: readonly NamedFigure[],
  generator: string,
): string {
  const { config, records, summary } = run;
  const j = judgeSequenceRun(records, config.dtype, summary?.explosion ?? null);
  const last = records[records.length - 1];
  const unit = isTransformerRun(config) ? "block" : "time step";
  const verdictItems = [
    `<li class="${cls(j.verdict)}"><span class="badge ${cls(j.verdict)}">${escapeHtml(j.verdict)}</span> ${escapeHtml(j.message)}</li>`,
    j.initial
      ? `<li class="${cls(j.initial.verdict)}"><strong>first recorded step:</strong> ${escapeHtml(j.initial.message)}</li>`
      : "",
  ].join("\n");
  const sections: PageSection[] = [
    {
      id: "verdict",
      title: "Verdict",
      html: `<ul class="verdicts">${verdictItems}</ul>
<p class="note">Judged over ${escapeHtml(unit)}s by the same rules as the MLP's layers (docs/METRICS.md, "The verdict"). gradscope's other diagnosis rules read an MLP's hidden layers and are not applied to this run (<code>gradscope diagnose</code> lists them).</p>`,
    },
  ];
  if (summary)
    sections.push({ id: "summary", title: "Run summary", html: kv(summaryEntries(summary)) });
  if (figures.length > 0) {
    sections.push({ id: "figures", title: "Figures", html: figures.map(figureHtml).join("\n") });
  }
  sections.push({
    id: "points",
    title: last
      ? `Per-${unit} metrics at step ${last.step} (last recorded)`
      : `Per-${unit} metrics`,
    html: last ? pointTable(last) : `<p class="note">metrics.jsonl holds no recorded step yet.</p>`,
  });
  sections.push({
    id: "config",
    title: "Configuration",
    html: `${kv(Object.entries(config))}
<p class="note">From config.json: <code>gradscope train --config ${escapeHtml(dir)}/config.json --out NEW_DIR</code> repeats the run.</p>`,
  });
  return renderPage({
    title: `Training run report: ${config.arch} on ${config.task}, T = ${config.seqLen}`,
    header: `<p class="sub">Run directory <code>${escapeHtml(dir)}</code> <span class="badge ${summary?.status === "completed" ? "good" : "bad"}">${escapeHtml(summary?.status ?? "no summary")}</span></p>
<p class="sub">${escapeHtml(sequenceRunSubtitle(config))}</p>`,
    sections,
    footer: `Written by ${escapeHtml(generator)} from <code>config.json</code>, <code>metrics.jsonl</code> and <code>summary.json</code>. Self-contained: no scripts, no external files.`,
  });
}

/** Write RUN_DIR/figures/*.svg|png and RUN_DIR/report.html for a sequence run. */
export async function writeSequenceReport(
  dir: string,
  run: SequenceRunData,
  generator = "gradscope",
): Promise<WrittenReport> {
  const t0 = globalThis.performance.now();
  const figures = sequenceFigures(run, { document: nodeDocument() });
  const t1 = globalThis.performance.now();
  const written: (FigureFiles & { name: string })[] = [];
  for (const f of figures) {
    written.push({
      name: f.name,
      ...(await renderFigureFiles(f.svg, join(dir, "figures"), f.name)),
    });
  }
  const t2 = globalThis.performance.now();
  const report = join(dir, "report.html");
  const tmp = `${report}.tmp-${process.pid}`;
  writeFileSync(tmp, renderSequenceReport(dir, run, figures, generator));
  renameSync(tmp, report);
  const t3 = globalThis.performance.now();
  const notes = run.summary ? [] : ["summary.json is missing: the run summary is left out."];
  return {
    report,
    figures: written,
    notes,
    timings: {
      load: 0,
      activations: 0,
      figures: t1 - t0,
      files: t2 - t1,
      html: t3 - t2,
      total: t3 - t0,
    },
  };
}

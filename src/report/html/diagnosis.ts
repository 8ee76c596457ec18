import type { TrainSummary } from "../../experiment/train/recorder.ts";
import { formatNumber } from "../format.ts";
import { escapeHtml } from "./escape.ts";

/**
 * The diagnosis section. summary.json may carry a `diagnosis` (from src/diagnose): a list of
 * findings, each with evidence numbers and remedies. It is read defensively (any field may be
 * missing or of the wrong type; what is unreadable is skipped, never fatal). Without a
 * diagnosis the section shows the verdicts the summary has: the run's status line, the
 * explosion, and the gradient verdicts of the first and last recorded steps.
 */

export interface Evidence {
  label: string;
  value: number | string;
  unit?: string;
}

export interface Remedy {
  label: string;
  why?: string;
  /** What to change, e.g. "activation=relu, init=he-normal" (from configChange / trainChange). */
  change?: string;
}

/** summary.diagnosis as read: findings, and the one-line headline when there is one. */
export interface DiagnosisView {
  findings: Finding[];
  headline?: string;
  healthy?: boolean;
  /** The verdict word and sentence (src/verdict), when the diagnosis carries them. */
  verdict?: string;
  verdictMessage?: string;
}

export interface Finding {
  id: string;
  severity: string;
  title: string;
  layers: number[];
  steps: number[];
  evidence: Evidence[];
  cause?: string;
  remedies: Remedy[];
  /** The primary finding this one follows from, and how (consequence or mechanism). */
  secondaryTo?: string;
  relation?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
const ints = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === "number" && Number.isFinite(x)) : [];

/** "activation=relu, init=he-normal" for {activation: "relu", init: "he-normal"}. */
function changeText(...changes: unknown[]): string | undefined {
  const parts: string[] = [];
  for (const c of changes) {
    if (!isObject(c)) continue;
    for (const [k, v] of Object.entries(c)) {
      if (v === undefined) continue;
      parts.push(`${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
    }
  }
  return parts.length > 0 ? parts.join(", ") : undefined;
}

const rankOf = (r: unknown): number =>
  isObject(r) && typeof r["rank"] === "number" ? r["rank"] : Number.POSITIVE_INFINITY;

/** summary.diagnosis read defensively, or null when there is none. */
export function readDiagnosis(summary: unknown): DiagnosisView | null {
  if (!isObject(summary) || !("diagnosis" in summary)) return null;
  const d = summary["diagnosis"];
  const list = Array.isArray(d)
    ? d
    : isObject(d) && Array.isArray(d["findings"])
      ? d["findings"]
      : null;
  if (list === null) return null;
  const headline = isObject(d) ? str(d["headline"]) : undefined;
  const healthy = isObject(d) && typeof d["healthy"] === "boolean" ? d["healthy"] : undefined;
  const verdict = isObject(d) ? str(d["verdict"]) : undefined;
  const verdictMessage = isObject(d) ? str(d["verdictMessage"]) : undefined;
  return {
    findings: readFindingList(list),
    ...(headline ? { headline } : {}),
    ...(healthy !== undefined ? { healthy } : {}),
    ...(verdict ? { verdict } : {}),
    ...(verdictMessage ? { verdictMessage } : {}),
  };
}

function readFindingList(list: readonly unknown[]): Finding[] {
  return list.filter(isObject).map((f, i) => {
    const evidence: Evidence[] = (Array.isArray(f["evidence"]) ? f["evidence"] : [])
      .filter(isObject)
      .map((e) => {
        const value = typeof e["value"] === "number" ? e["value"] : (str(e["value"]) ?? "");
        const unit = str(e["unit"]);
        return { label: str(e["label"]) ?? "", value, ...(unit ? { unit } : {}) };
      });
    const remedies: Remedy[] = (Array.isArray(f["remedies"]) ? [...f["remedies"]] : [])
      .map((r) => (typeof r === "string" ? { label: r } : r))
      .filter(isObject)
      .sort((a, b) => rankOf(a) - rankOf(b))
      .map((r) => {
        const why = str(r["why"]);
        const change = changeText(r["configChange"], r["trainChange"]);
        return {
          label: str(r["label"]) ?? str(r["id"]) ?? "",
          ...(why ? { why } : {}),
          ...(change ? { change } : {}),
        };
      });
    const cause = str(f["cause"]);
    const secondaryTo = str(f["secondaryTo"]);
    const relation = str(f["relation"]);
    return {
      ...(secondaryTo ? { secondaryTo } : {}),
      ...(relation ? { relation } : {}),
      id: str(f["id"]) ?? `finding-${i + 1}`,
      severity: str(f["severity"]) ?? "info",
      title: str(f["title"]) ?? str(f["id"]) ?? `finding ${i + 1}`,
      layers: ints(f["layers"]),
      steps: ints(f["steps"]),
      evidence,
      ...(cause ? { cause } : {}),
      remedies,
    };
  });
}

/**
 * Integers as ranges: "1–3, 5, 7–9" for [1, 2, 3, 5, 7, 8, 9]; runs of three or more with one
 * stride compress too: "1, 10–500 every 10" for 1, 10, 20, ..., 500 (recorded steps).
 */
export function formatRanges(values: readonly number[]): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length; ) {
    const stride = i + 1 < v.length ? v[i + 1]! - v[i]! : 0;
    let j = i;
    while (j + 1 < v.length && v[j + 1]! - v[j]! === stride) j++;
    if (j - i >= 2 || (j - i === 1 && stride === 1)) {
      parts.push(`${v[i]}–${v[j]}${stride === 1 ? "" : ` every ${stride}`}`);
      i = j + 1;
    } else {
      parts.push(String(v[i]));
      i++;
    }
  }
  return parts.join(", ");
}

/** CSS class of a severity word: bad, warn, good or info. */
export function severityClass(severity: string): string {
  const s = severity.toLowerCase();
  if (/crit|error|severe|high|fatal|bad/.test(s)) return "bad";
  if (/warn|medium|moderate/.test(s)) return "warn";
  if (/ok|healthy|pass|good|fine/.test(s)) return "good";
  return "info";
}

function evidenceValue(e: Evidence): string {
  const v = typeof e.value === "number" ? formatNumber(e.value, 4) : e.value;
  return e.unit ? `${v} ${e.unit}` : v;
}

export function renderDiagnosis(d: DiagnosisView): string {
  const cls = d.healthy === false ? "bad" : d.healthy === true ? "good" : "info";
  const items: string[] = [];
  if (d.verdict) {
    const v = verdictClass(d.verdict);
    items.push(
      `<li class="${v}" id="verdict"><span class="badge ${v}">${escapeHtml(d.verdict)}</span> <strong>verdict:</strong> ${prose(d.verdictMessage ?? d.verdict)}</li>`,
    );
  }
  if (d.headline) items.push(`<li class="${cls}">${prose(d.headline)}</li>`);
  const headline = items.length > 0 ? `<ul class="verdicts">${items.join("\n")}</ul>` : "";
  return `${headline}\n${renderFindings(d.findings)}`;
}

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "-": "⁻",
};
const sup = (t: string) => [...t].map((c) => SUPERSCRIPT[c] ?? c).join("");

/**
 * The terminal's ASCII notation in the report's: sigma_w^2 -> σ_w², phi' -> φ′, chi1 -> χ₁,
 * 10^-11 -> 10⁻¹¹, x^2 -> x², 1.22e+0 -> 1.22, 3.1e-5 -> 3.1×10⁻⁵, so one page does not mix
 * `10^-11` with 10⁻¹¹. Plain text in, plain text out (escape afterwards).
 */
export function prettyNotation(text: string): string {
  return text
    .replace(/\b(\d+(?:\.\d+)?)e([+-]?)(\d+)\b/g, (_m, mant: string, sign: string, exp: string) => {
      const e = Number(`${sign === "-" ? "-" : ""}${exp}`);
      if (e === 0) return mant;
      return `${mant === "1" ? "" : `${mant}×`}10${sup(String(e))}`;
    })
    .replace(/\bsigma_([wb])\^2\b/g, "σ_$1²")
    .replace(/\bsigma\^2\b/g, "σ²")
    .replace(/\bsigma\b/g, "σ")
    .replace(/\bchi1\b/g, "χ₁")
    .replace(/\bphi'/g, "φ′")
    .replace(/\bphi\b/g, "φ")
    .replace(/\^(-?\d+)/g, (_m, e: string) => sup(e));
}

/** Prose from the diagnosis, in the report's notation, escaped. */
function prose(text: string): string {
  return escapeHtml(prettyNotation(text));
}

export function renderFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) {
    return `<p class="note">The diagnosis found nothing wrong.</p>`;
  }
  return findings
    .map((f, index) => {
      const cls = severityClass(f.severity);
      const where = [
        f.layers.length > 0 ? `layers ${formatRanges(f.layers)}` : "",
        f.steps.length > 0 ? `steps ${formatRanges(f.steps)}` : "",
      ].filter(Boolean);
      const evidence =
        f.evidence.length === 0
          ? ""
          : `<table class="evidence"><tbody>${f.evidence
              .map(
                (e) =>
                  `<tr><th scope="row">${prose(e.label)}</th><td title="${escapeHtml(String(e.value))}">${prose(evidenceValue(e))}</td></tr>`,
              )
              .join("")}</tbody></table>`;
      const items = f.remedies
        .map(
          (r) =>
            `<li><strong>${prose(r.label)}</strong>${r.why ? ` — ${prose(r.why)}` : ""}${r.change ? ` <code>${escapeHtml(r.change)}</code>` : ""}</li>`,
        )
        .join("");
      // The first finding's remedies are shown; later ones (often the same list) fold away.
      const remedies =
        f.remedies.length === 0
          ? ""
          : index === 0
            ? `<p class="label">Remedies</p><ul class="remedies">${items}</ul>`
            : `<details><summary>Remedies (${f.remedies.length})</summary><ul class="remedies">${items}</ul></details>`;
      return `<article class="finding ${cls}" id="finding-${escapeHtml(f.id)}">
<h3><span class="badge ${cls}">${escapeHtml(f.severity)}</span>${f.secondaryTo ? ` <span class="badge info">${escapeHtml(`${f.relation ?? "follows from"} of ${f.secondaryTo}`)}</span>` : ""} ${prose(f.title)}</h3>
${where.length > 0 ? `<p class="where">${escapeHtml(where.join("; "))}</p>` : ""}
${evidence}
${f.cause ? `<p><span class="label">Cause</span> ${prose(f.cause)}</p>` : ""}
${remedies}
</article>`;
    })
    .join("\n");
}

function verdictClass(verdict: string | undefined): string {
  if (verdict === undefined) return "info";
  if (verdict === "healthy") return "good";
  if (verdict === "not-judged") return "info"; // unmeasured is neither good nor bad
  return "bad";
}

/** The verdicts summary.json holds, for runs without a diagnosis. */
export function renderVerdicts(
  summary: TrainSummary,
  firstStep: number | null,
  lastStep: number | null,
): string {
  const items: string[] = [];
  const statusClass =
    summary.status === "completed" ? "good" : summary.status === "running" ? "info" : "bad";
  items.push(
    `<li class="${statusClass}"><span class="badge ${statusClass}">${escapeHtml(summary.status)}</span> ${escapeHtml(summary.message)}</li>`,
  );
  if (summary.explosion) {
    items.push(
      `<li class="bad"><span class="badge bad">explosion</span> ${escapeHtml(summary.explosion.message)}</li>`,
    );
  }
  const g = summary.gradients;
  const gradient = (label: string, s: typeof g.initial) => {
    if (!s) return;
    const cls = verdictClass(s.verdict);
    items.push(
      `<li class="${cls}"><span class="badge ${cls}">${escapeHtml(s.verdict)}</span> <strong>${escapeHtml(label)}:</strong> ${escapeHtml(s.message)}</li>`,
    );
  };
  if (g) {
    gradient(
      firstStep === null ? "first recorded step" : `gradients at step ${firstStep}`,
      g.initial,
    );
    if (lastStep !== firstStep) {
      gradient(lastStep === null ? "last recorded step" : `gradients at step ${lastStep}`, g.final);
    }
  }
  return `<p class="note">summary.json holds no diagnosis (findings with evidence and remedies); these are the verdicts it records.</p>
<ul class="verdicts">${items.join("\n")}</ul>`;
}

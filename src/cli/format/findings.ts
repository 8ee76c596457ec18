import type { Diagnosis } from "../../diagnose/types.ts";
import { formatMetric } from "./numbers.ts";

/**
 * The diagnosis as text: one block per finding (title, the numbers behind it, the likely
 * cause, the top remedies). `maxRemedies` keeps the terminal output short.
 */
export function formatFindings(d: Diagnosis, maxRemedies = 3): string[] {
  if (d.findings.length === 0) {
    return [
      d.verdict === "not-judged"
        ? "diagnosis: no findings in what was measured (the gradient flow across layers was not)"
        : "diagnosis: no findings (gradient flow looks healthy)",
    ];
  }
  const lines = ["diagnosis:"];
  const shown = new Set<string>();
  for (const f of d.findings) {
    const tag = f.secondaryTo ? ` (${f.relation} of ${f.secondaryTo})` : "";
    lines.push(`  [${f.severity}]${tag} ${f.title}`);
    const evidence = f.evidence
      .slice(0, 4)
      .map((e) => `${e.label} ${formatMetric(e.value)}${e.unit ? ` ${e.unit}` : ""}`);
    if (evidence.length > 0) lines.push(`    evidence: ${evidence.join("; ")}`);
    lines.push(`    cause: ${f.cause}`);
    const remedies = [...f.remedies].sort((a, b) => a.rank - b.rank).slice(0, maxRemedies);
    // A remedy already explained under an earlier finding is named, not repeated.
    remedies.forEach((r, i) => {
      lines.push(
        `    remedy ${i + 1}: ${r.label}${shown.has(r.id) ? " (see above)" : `: ${r.why}`}`,
      );
      shown.add(r.id);
    });
  }
  return lines;
}

/** The rules a run could not feed, or fed only in part: one line each. */
export function formatNotMeasurable(d: Diagnosis): string[] {
  return (d.notMeasurable ?? []).map((n) =>
    n.partial
      ? `  partly measurable: ${n.id}, judged from ${n.partial} only (the run has no ${n.missing.join(", ")})`
      : `  not measurable here: ${n.id} (the run has no ${n.missing.join(", ")})`,
  );
}

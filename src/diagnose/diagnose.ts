import { buildContext } from "./context.ts";
import { rankRemedies } from "./rank-remedies.ts";
import { reconcile } from "./reconcile.ts";
import { RULES } from "./rules.ts";
import type { Diagnosis, DiagnosisInput, Finding } from "./types.ts";

/**
 * Run every rule of RULES on the measurements, then reconcile the findings with the verdict
 * (reconcile.ts): the verdict's finding first, the findings it explains attached to it, then
 * the rest by severity. Pure: no I/O, no randomness.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const ctx = buildContext(input);
  const raw: Finding[] = [];
  RULES.forEach((rule) => {
    const detection = rule.applies(ctx);
    if (!detection) return;
    raw.push({
      id: rule.id,
      severity: rule.severity(detection),
      title: rule.title(detection, ctx),
      layers: detection.layers,
      steps: detection.steps,
      evidence: detection.evidence,
      cause: rule.cause(ctx, detection),
      remedies: rankRemedies(ctx, rule.remedies(ctx, detection)),
    });
  });
  const order = new Map(RULES.map((r, i) => [r.id, i]));
  const { primary, findings } = reconcile(ctx, raw, order);
  const healthy = findings.every((f) => f.severity === "info");
  return {
    verdict: ctx.run.verdict,
    verdictMessage: ctx.run.message,
    primary,
    findings,
    healthy,
    headline: headline(findings, healthy, ctx.run.message),
  };
}

function headline(findings: readonly Finding[], healthy: boolean, verdict: string): string {
  const top = findings[0];
  if (healthy || !top) {
    const notes =
      findings.length > 0
        ? ` (${findings.length} note${findings.length > 1 ? "s" : ""}: ${findings.map((f) => f.id).join(", ")})`
        : "";
    return `healthy: no warnings${notes}`;
  }
  if (top.severity === "info") return `${verdict}`;
  const explained = findings.filter((f) => f.secondaryTo === top.id).map((f) => f.id);
  const others = findings
    .slice(1)
    .filter((f) => !f.secondaryTo && f.severity !== "info")
    .map((f) => f.id);
  const because = explained.length > 0 ? `; with it: ${explained.join(", ")}` : "";
  const more = others.length > 0 ? `; also ${others.join(", ")}` : "";
  return `${top.severity}: ${top.title}${because}${more}`;
}

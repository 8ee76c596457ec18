import { buildContext } from "./context.ts";
import { rankRemedies } from "./rank-remedies.ts";
import { reconcile } from "./reconcile.ts";
import type { Quantity } from "./rule.ts";
import { RULES } from "./rules.ts";
import type { Diagnosis, DiagnosisInput, Finding, FindingId } from "./types.ts";

/**
 * Whether the input has a quantity at all: some layer of some snapshot holds it (a number or
 * a flag), or, for the loss, some snapshot or the loss history. A run without snapshots has
 * nothing per layer; a rule that needs it is then "not measurable here".
 */
function measured(input: DiagnosisInput, q: Quantity): boolean {
  if (q === "loss") {
    return (
      input.snapshots.some((s) => s.loss !== undefined) || (input.lossHistory?.length ?? 0) > 0
    );
  }
  if (q === "gradNorm") return input.snapshots.some((s) => typeof s.gradNorm === "number");
  return input.snapshots.some((s) =>
    s.layers.some((m) => {
      const v = (m as unknown as Record<string, unknown>)[q];
      return typeof v === "number" || typeof v === "boolean";
    }),
  );
}

/**
 * Run every rule of RULES on the measurements, then reconcile the findings with the verdict
 * (reconcile.ts): the verdict's finding first, the findings it explains attached to it, then
 * the rest by severity. Pure: no I/O, no randomness.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const ctx = buildContext(input);
  const raw: Finding[] = [];
  const notMeasurable: { id: FindingId; missing: Quantity[]; partial?: string }[] = [];
  RULES.forEach((rule) => {
    const missing = rule.needs.filter((q) => !measured(input, q));
    if (missing.length > 0) {
      const fallback = rule.fallback;
      if (!fallback?.needs.every((q) => measured(input, q))) {
        notMeasurable.push({ id: rule.id, missing });
        return;
      }
      notMeasurable.push({ id: rule.id, missing, partial: fallback.from });
    }
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
      ...(rule.variant ? { variant: rule.variant(detection) } : {}),
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
    notMeasurable,
    healthy,
    headline: headline(findings, healthy, ctx.run.message),
  };
}

function headline(findings: readonly Finding[], healthy: boolean, verdict: string): string {
  const top = findings[0];
  // not judged is not healthy: the headline repeats what could not be measured
  if (verdict.startsWith("not-judged") && (healthy || !top)) return verdict;
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

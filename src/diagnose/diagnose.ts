import { buildContext } from "./context.ts";
import { rankRemedies } from "./rank-remedies.ts";
import { RULES } from "./rules.ts";
import type { Diagnosis, DiagnosisInput, Finding, Severity } from "./types.ts";

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Run every rule of RULES on the measurements: findings (most severe first, ties in table
 * order), each with its evidence, cause and ranked remedies. Pure: no I/O, no randomness.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const ctx = buildContext(input);
  const findings: Finding[] = [];
  RULES.forEach((rule) => {
    const detection = rule.applies(ctx);
    if (!detection) return;
    findings.push({
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
  findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      order.get(a.id)! - order.get(b.id)!,
  );
  const healthy = findings.every((f) => f.severity === "info");
  return { findings, healthy, headline: headline(findings, healthy) };
}

function headline(findings: readonly Finding[], healthy: boolean): string {
  const top = findings[0];
  if (healthy) {
    const notes =
      findings.length > 0
        ? ` (${findings.length} note${findings.length > 1 ? "s" : ""}: ${findings.map((f) => f.id).join(", ")})`
        : "";
    return `healthy: no warnings${notes}`;
  }
  const others = findings.slice(1).filter((f) => f.severity !== "info");
  const more = others.length > 0 ? `; also ${others.map((f) => f.id).join(", ")}` : "";
  return `${top!.severity}: ${top!.title}${more}`;
}

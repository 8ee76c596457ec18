import type { Verdict } from "../verdict/index.ts";
import type { DiagnosisContext } from "./context.ts";
import type { Finding, FindingId, Severity } from "./types.ts";

/**
 * How the findings of one diagnosis are made to agree with each other and with the verdict
 * (docs/METRICS.md, "Rule order and conflicts"):
 * 1. the verdict names the primary finding (PRIMARY_OF);
 * 2. findings the primary explains are attached to it (RELATIONS) and lose their remedies:
 *    one cause, one list of fixes (a mechanism's remedies, when it is a warning or worse,
 *    lead the primary's list: fixing how the gradient is lost fixes the loss);
 * 3. with a healthy verdict no finding is critical (critical findings become warnings);
 * 4. never both a higher and a lower learning rate: with an explosion anywhere "higher-lr" goes,
 *    otherwise the remedy of the more severe finding stays (ties keep the lower rate).
 */

/** The finding a verdict names (healthy and not-judged name none). */
export const PRIMARY_OF: Record<Exclude<Verdict, "healthy" | "not-judged">, FindingId> = {
  "non-finite": "non-finite",
  exploded: "exploding",
  exploding: "exploding",
  vanishing: "vanishing",
  underflow: "underflow",
  "signal-collapse": "forward-signal",
  "signal-blowup": "forward-signal",
};

type Relation = "consequence" | "mechanism";

/**
 * For each primary finding, what the other findings are to it. Missing: independent.
 * - An explosion explains everything after it: saturated tanh/sigmoid units, ReLUs that never
 *   fire again, an update ratio that looks tiny against huge weights, NaN, a loss that stalls.
 * - Vanishing gradients shrink the forward signal with the same per-layer factor (ReLU's
 *   positive homogeneity) and make the lower layers' updates tiny; saturated or dead units
 *   are how the gradient is lost (the mechanism).
 */
const RELATIONS: Partial<Record<FindingId, Partial<Record<string, Relation>>>> = {
  exploding: {
    "non-finite": "consequence",
    vanishing: "consequence",
    underflow: "consequence",
    "forward-signal": "consequence",
    saturation: "consequence",
    "dead-units": "consequence",
    "unstable-updates": "consequence",
    "loss-plateau": "consequence",
  },
  "non-finite": {
    exploding: "mechanism",
    vanishing: "consequence",
    underflow: "consequence",
    "forward-signal": "consequence",
    saturation: "consequence",
    "dead-units": "consequence",
    "unstable-updates": "consequence",
    "loss-plateau": "consequence",
  },
  vanishing: {
    underflow: "consequence",
    "forward-signal": "consequence",
    saturation: "mechanism",
    "dead-units": "mechanism",
    "loss-plateau": "consequence",
    // the lower layers' updates are tiny because their gradient is
    "unstable-updates:small": "consequence",
  },
  underflow: {
    "forward-signal": "consequence",
    "loss-plateau": "consequence",
  },
  "forward-signal": {
    saturation: "mechanism",
    "dead-units": "mechanism",
  },
};

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

const PHRASE: Record<Relation, string> = {
  consequence: "a consequence of",
  mechanism: "how it comes about:",
};

/** Whether a vanishing finding was there from the first snapshot, before any explosion. */
function vanishedFromStart(ctx: DiagnosisContext, f: Finding): boolean {
  const first = ctx.snapshots[0];
  return f.id === "vanishing" && first !== undefined && f.steps[0] === first.step && ctx.training;
}

export function reconcile(
  ctx: DiagnosisContext,
  findings: readonly Finding[],
  ruleOrder: ReadonlyMap<FindingId, number>,
): { primary: FindingId | null; findings: Finding[] } {
  const verdict = ctx.run.verdict;
  const wanted = verdict === "healthy" || verdict === "not-judged" ? null : PRIMARY_OF[verdict];
  const primary = wanted !== null && findings.some((f) => f.id === wanted) ? wanted : null;
  const relations = primary ? (RELATIONS[primary] ?? {}) : {};
  const primaryTitle = findings.find((f) => f.id === primary)?.title ?? "";

  // A mechanism's own fixes (smaller weights for saturation, leaky ReLU for dead units) fix
  // the primary too: they lead the primary's list, when the mechanism is more than a note.
  const relationOf = (f: Finding): Relation | undefined =>
    relations[f.variant ? `${f.id}:${f.variant}` : f.id] ?? relations[f.id];
  const lead = findings.filter(
    (f) => f.id !== primary && relationOf(f) === "mechanism" && f.severity !== "info",
  );
  let out: Finding[] = findings.map((f) => {
    if (f.id === primary) {
      if (lead.length === 0) return f;
      const seen = new Set<string>();
      const merged = [...lead.flatMap((m) => m.remedies), ...f.remedies].filter((r) => {
        if (seen.has(r.id)) return false;
        seen.add(r.id);
        return true;
      });
      return { ...f, remedies: merged.map((r, i) => ({ ...r, rank: i + 1 })) };
    }
    let relation = relationOf(f);
    // vanishing at initialization, before a later explosion, is a problem of its own
    if (relation && primary === "exploding" && vanishedFromStart(ctx, f)) relation = undefined;
    let severity = f.severity;
    if (verdict === "healthy" && severity === "critical") severity = "warning";
    if (!relation) return { ...f, severity };
    return {
      ...f,
      severity,
      secondaryTo: primary!,
      relation,
      cause: `${f.cause} This is ${PHRASE[relation]} ${primaryTitle.replace(/:.*$/, "").toLowerCase()} (the primary finding).`,
      remedies: [],
    };
  });

  // never both a higher and a lower learning rate
  const has = (id: "lower-lr" | "higher-lr") =>
    out.filter((f) => f.remedies.some((r) => r.id === id));
  const lower = has("lower-lr");
  const higher = has("higher-lr");
  if (higher.length > 0) {
    const explosive = out.some((f) => f.id === "exploding" || f.id === "non-finite");
    const worst = (fs: Finding[]) => Math.min(...fs.map((f) => SEVERITY_ORDER[f.severity]));
    const dropHigher = explosive || (lower.length > 0 && worst(lower) <= worst(higher));
    const drop = dropHigher ? "higher-lr" : lower.length > 0 ? "lower-lr" : null;
    if (drop) {
      out = out.map((f) =>
        f.remedies.some((r) => r.id === drop)
          ? {
              ...f,
              remedies: f.remedies
                .filter((r) => r.id !== drop)
                .map((r, i) => ({ ...r, rank: i + 1 })),
            }
          : f,
      );
    }
  }

  // the primary first, then its explained findings, then the rest; each by severity, then rule order
  const group = (f: Finding) => (f.id === primary ? 0 : f.secondaryTo ? 1 : 2);
  out.sort(
    (a, b) =>
      group(a) - group(b) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      ruleOrder.get(a.id)! - ruleOrder.get(b.id)!,
  );
  return { primary, findings: out };
}

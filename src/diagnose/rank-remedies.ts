import type { DiagnosisContext } from "./context.ts";
import { REMEDIES } from "./remedies.ts";
import type { DiagnosisConfig, Remedy, RemedyId } from "./types.ts";
import { effectiveWeightVar } from "./weight-scale.ts";

/** A rule's suggestion, most applicable first; `why` overrides the table's default reason. */
export interface RemedyPick {
  id: RemedyId;
  why?: string;
}

/**
 * The network a config builds, up to what changes nothing: entry-wise inits with the same
 * sigma_w^2 (he-uniform vs he-normal vs normal weightVar 2) give the same key, and so do
 * fields that do not apply (slope without leaky ReLU, branchScale without residual).
 */
function networkKey(c: DiagnosisConfig): string {
  const family =
    c.init === "orthogonal" || c.init === "identity" || c.init === "zeros" ? c.init : "entrywise";
  return JSON.stringify([
    c.activation,
    c.activation === "leaky-relu" ? c.slope : 0,
    family,
    Number(effectiveWeightVar(c).toPrecision(6)),
    c.biasVar,
    c.batchNorm,
    c.layerNorm,
    c.residual,
    c.residual ? c.branchScale : 1,
    c.dtype,
    c.depth,
    c.width,
  ]);
}

/**
 * Resolve a rule's picks against the REMEDIES table and rank them 1..n in the rule's order,
 * dropping: training remedies when the snapshots are not from training; remedies the table
 * says are unavailable (already on, e.g. batch-norm with batch norm on); network remedies
 * that would rebuild the current network or one an earlier remedy already proposes; repeats.
 */
export function rankRemedies(ctx: DiagnosisContext, picks: readonly RemedyPick[]): Remedy[] {
  const out: Remedy[] = [];
  const seenIds = new Set<RemedyId>();
  const seenNetworks = new Set<string>([networkKey(ctx.config)]);
  for (const pick of picks) {
    const def = REMEDIES[pick.id];
    if (seenIds.has(def.id)) continue;
    if (def.kind === "training" && !ctx.training) continue;
    if (!def.available(ctx)) continue;
    const configChange = def.configChange(ctx);
    if (def.kind === "network") {
      const key = networkKey({ ...ctx.config, ...configChange });
      if (seenNetworks.has(key)) continue;
      seenNetworks.add(key);
    }
    seenIds.add(def.id);
    const trainChange = def.trainChange?.(ctx);
    out.push({
      id: def.id,
      label: def.label,
      why: pick.why ?? def.why(ctx),
      configChange,
      ...(trainChange ? { trainChange } : {}),
      rank: out.length + 1,
    });
  }
  return out;
}

import { type Activation, getActivation } from "../core/activations.ts";
import { criticalWeightVar, type TheoryReport, theoryReport } from "../theory/mean-field.ts";
import { type FlowJudgment, judgeFlow, judgeRun, type RunJudgment } from "../verdict/index.ts";
import { layerPoint } from "../verdict/summary.ts";
import { isFiniteSnapshot } from "./measures.ts";
import type { DiagnosisConfig, DiagnosisInput, Snapshot } from "./types.ts";
import { effectiveWeightVar } from "./weight-scale.ts";

/**
 * What every rule reads: the input, its snapshots in step order (layers in index order),
 * facts about the config, and mean-field theory (computed on first use, then cached).
 */
export interface DiagnosisContext {
  readonly input: DiagnosisInput;
  readonly config: DiagnosisConfig;
  /** Sorted by step; each snapshot's layers sorted by layer index. */
  readonly snapshots: readonly Snapshot[];
  /** The snapshots come from training (several steps, update ratios, a loss history or training settings). */
  readonly training: boolean;
  readonly activation: Activation;
  /** sigma_w^2 = fan_in Var(W) of the hidden layers. */
  readonly weightVar: number;
  /**
   * Steps with NaN/Inf, ascending: snapshots that are not finite (isFiniteSnapshot), non-finite
   * losses in lossHistory, and the explosion's step.
   */
  readonly nonFiniteSteps: readonly number[];
  /** Hidden layers measured (the config's depth when no snapshot has layers). */
  readonly depth: number;
  /**
   * Mean-field report at (activation, sigma_w^2, biasVar) when it describes this network:
   * no normalization, no residual connections, nonzero weights. Null otherwise.
   */
  theory(): TheoryReport | null;
  /** Mean-field report at another sigma_w^2 (same activation and biasVar); null if it fails. */
  theoryAt(weightVar: number): TheoryReport | null;
  /** The critical sigma_w^2 (chi1 = 1) for this activation and biasVar; NaN when none exists. */
  criticalWeightVar(): number;
  /** The flow verdict of one snapshot (src/verdict judgeFlow, in the config's dtype). */
  flow(snapshot: Snapshot): FlowJudgment;
  /** The verdict of the whole input (src/verdict judgeRun): what the diagnosis must agree with. */
  readonly run: RunJudgment;
}

/** ExplosionInfo.what in words. */
export const EXPLOSION_SITES: Record<string, string> = {
  z: "the pre-activations z",
  a: "the activations",
  output: "the network output",
  loss: "the loss",
  "readout-gradient": "the readout's gradient",
  dz: "dL/dz",
  dW: "dL/dW",
  db: "dL/db",
  dgamma: "dL/dgamma",
  dbeta: "dL/dbeta",
  gradient: "the global gradient norm",
};

export function buildContext(input: DiagnosisInput): DiagnosisContext {
  const config = input.config;
  const snapshots = [...input.snapshots]
    .sort((a, b) => a.step - b.step)
    .map((s) => ({ ...s, layers: [...s.layers].sort((a, b) => a.layer - b.layer) }));
  const activation = getActivation(config.activation, { slope: config.slope });
  const weightVar = effectiveWeightVar(config);
  const training =
    input.training !== undefined ||
    input.explosion != null ||
    (input.lossHistory?.length ?? 0) > 1 ||
    snapshots.length > 1 ||
    snapshots.some((s) => s.layers.some((m) => m.updateRatio !== undefined));
  const bad = new Set<number>();
  for (const s of snapshots) if (!isFiniteSnapshot(s)) bad.add(s.step);
  for (const p of input.lossHistory ?? []) if (!Number.isFinite(p.loss)) bad.add(p.step);
  if (input.explosion) bad.add(input.explosion.step);
  const nonFiniteSteps = [...bad].sort((a, b) => a - b);
  const depth = Math.max(0, ...snapshots.map((s) => s.layers.length)) || config.depth;
  const theoryCache = new Map<number, TheoryReport | null>();
  const theoryAt = (w: number): TheoryReport | null => {
    if (!theoryCache.has(w)) {
      let report: TheoryReport | null = null;
      try {
        report = w > 0 ? theoryReport(activation, w, config.biasVar) : null;
      } catch {
        report = null;
      }
      theoryCache.set(w, report && Number.isFinite(report.chi1) ? report : null);
    }
    return theoryCache.get(w)!;
  };
  const imported = config.source === "imported";
  const plain =
    !imported &&
    !config.batchNorm &&
    !config.layerNorm &&
    !config.residual &&
    config.init !== "zeros";
  let critical: number | undefined;
  const flows = new Map<Snapshot, FlowJudgment>();
  const flow = (snapshot: Snapshot): FlowJudgment => {
    let j = flows.get(snapshot);
    if (!j) {
      j = judgeFlow(snapshot.layers.map(layerPoint), { dtype: config.dtype, unit: "layer" });
      flows.set(snapshot, j);
    }
    return j;
  };
  const e = input.explosion;
  const run = judgeRun({
    steps: snapshots.map((s) => ({
      step: s.step,
      flow: flow(s),
      finite: isFiniteSnapshot(s),
      ...(s.gradNorm !== undefined ? { gradNorm: s.gradNorm } : {}),
      ...(s.loss !== undefined ? { loss: s.loss } : {}),
    })),
    nonFiniteStep: nonFiniteSteps[0] ?? null,
    explosion: e
      ? { step: e.step, layer: e.layer, where: EXPLOSION_SITES[e.what] ?? e.what }
      : null,
  });
  return {
    input,
    config,
    snapshots,
    training,
    nonFiniteSteps,
    activation,
    weightVar,
    depth,
    flow,
    run,
    theory: () => (plain ? theoryAt(weightVar) : null),
    theoryAt,
    criticalWeightVar: () => {
      if (critical === undefined) {
        if (imported) return Number.NaN;
        try {
          critical = criticalWeightVar(activation, config.biasVar);
        } catch {
          critical = Number.NaN;
        }
      }
      return critical;
    },
  };
}

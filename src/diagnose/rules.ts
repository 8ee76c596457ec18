import type { Rule } from "./rule.ts";
import { deadUnitsRule } from "./rules/dead-units.ts";
import { explodingRule } from "./rules/exploding.ts";
import { forwardSignalRule } from "./rules/forward-signal.ts";
import { lossPlateauRule } from "./rules/loss-plateau.ts";
import { nonFiniteRule } from "./rules/non-finite.ts";
import { saturationRule } from "./rules/saturation.ts";
import { underflowRule } from "./rules/underflow.ts";
import { unstableUpdatesRule } from "./rules/unstable-updates.ts";
import { vanishingRule } from "./rules/vanishing.ts";

/**
 * The diagnosis as a table: each rule measures (applies), then says how bad (severity), why
 * (cause) and what to try (remedies). The order breaks severity ties in the findings.
 * Thresholds: thresholds.ts. Remedies: remedies.ts.
 */
export const RULES: readonly Rule[] = [
  nonFiniteRule,
  explodingRule,
  vanishingRule,
  underflowRule,
  forwardSignalRule,
  deadUnitsRule,
  saturationRule,
  unstableUpdatesRule,
  lossPlateauRule,
];

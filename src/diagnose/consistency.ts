import type { Verdict } from "../verdict/index.ts";
import { PRIMARY_OF } from "./reconcile.ts";
import type { Diagnosis } from "./types.ts";

/**
 * The contradictions between a verdict and a diagnosis, in words (empty: none). Used by the
 * tests of every face and by `npm run bench:diagnosis`. A verdict and a diagnosis contradict
 * each other when:
 * - the verdict is healthy and a finding is critical;
 * - the verdict is not healthy and the diagnosis has no primary finding, or a primary that is
 *   not the verdict's (PRIMARY_OF), or the primary is not listed first;
 * - the diagnosis' own verdict differs from the verdict shown beside it (`shown`);
 * - a finding attached to the primary names another finding;
 * - both a higher and a lower learning rate are advised.
 */
export function contradictions(d: Diagnosis, shown: Verdict = d.verdict): string[] {
  const out: string[] = [];
  if (shown !== d.verdict)
    out.push(`verdict shown '${shown}' but the diagnosis says '${d.verdict}'`);
  if (d.verdict === "healthy") {
    for (const f of d.findings) {
      if (f.severity === "critical") out.push(`healthy verdict beside critical finding '${f.id}'`);
    }
    if (d.primary !== null) out.push(`healthy verdict with primary finding '${d.primary}'`);
  } else if (d.verdict === "not-judged") {
    if (d.primary !== null) out.push(`not-judged verdict with primary finding '${d.primary}'`);
    for (const id of ["vanishing", "exploding"]) {
      if (d.findings.some((f) => f.id === id && f.severity !== "info")) {
        out.push(`not-judged verdict beside finding '${id}'`);
      }
    }
  } else {
    const want = PRIMARY_OF[d.verdict];
    if (d.primary !== want) {
      out.push(`verdict '${d.verdict}' wants primary '${want}', diagnosis has '${d.primary}'`);
    }
    if (d.findings[0]?.id !== d.primary) {
      out.push(`primary '${d.primary}' is not listed first ('${d.findings[0]?.id}')`);
    }
  }
  for (const f of d.findings) {
    if (f.secondaryTo !== undefined && f.secondaryTo !== d.primary) {
      out.push(`'${f.id}' is attached to '${f.secondaryTo}', not to the primary '${d.primary}'`);
    }
  }
  const remedies = new Set(d.findings.flatMap((f) => f.remedies.map((r) => r.id)));
  if (remedies.has("higher-lr") && remedies.has("lower-lr")) {
    out.push("both a higher and a lower learning rate are advised");
  }
  return out;
}

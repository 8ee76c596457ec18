import { describe, expect, it } from "vitest";
import type { Diagnosis } from "../../diagnose/types.ts";
import { formatFindings } from "./findings.ts";

const remedy = {
  id: "batch-norm" as const,
  label: "batch normalization",
  why: "keeps phi' useful",
  configChange: {},
  rank: 1,
};
const finding = (id: "vanishing" | "loss-plateau") => ({
  id,
  severity: "critical" as const,
  title: `${id} title`,
  layers: [1],
  steps: [0],
  evidence: [{ label: "ratio", value: 1.5e-16 }],
  cause: "because",
  remedies: [remedy],
});

describe("formatFindings", () => {
  it("prints each finding with evidence, cause and remedies, without repeating a remedy's reason", () => {
    const d: Diagnosis = {
      verdict: "vanishing",
      verdictMessage: "vanishing",
      primary: "vanishing",
      healthy: false,
      headline: "",
      findings: [finding("vanishing"), finding("loss-plateau")],
    };
    const lines = formatFindings(d);
    expect(lines).toContain("  [critical] vanishing title");
    expect(lines).toContain("    evidence: ratio 1.50e-16");
    expect(lines).toContain("    remedy 1: batch normalization: keeps phi' useful");
    expect(lines).toContain("    remedy 1: batch normalization (see above)");
  });
  it("says so when there is nothing to report", () => {
    expect(
      formatFindings({
        verdict: "healthy",
        verdictMessage: "healthy",
        primary: null,
        healthy: true,
        headline: "",
        findings: [],
      })[0],
    ).toMatch(/no findings/);
  });
});

import { describe, expect, it } from "vitest";
import { doctor, treatmentsFor } from "./doctor.ts";

describe("doctor", () => {
  it("diagnoses a deep sigmoid network as vanishing and ranks ReLU/He, batch norm and residual above no change", async () => {
    const report = await doctor(
      { depth: 20, width: 64, activation: "sigmoid", init: "standard-uniform", dataset: "spirals" },
      { budget: 300 },
    );
    const vanishing = report.diagnosis.findings.find((f) => f.id === "vanishing");
    expect(vanishing?.severity).toBe("critical");
    expect(report.baseline.initialGradRatio!).toBeLessThan(1e-12);
    const byId = (id: string) =>
      report.treatments.find((t) => t.remedyIds.length === 1 && t.remedyIds[0] === id);
    for (const id of ["relu-he", "batch-norm", "residual"]) {
      const t = byId(id);
      expect(t, id).toBeDefined();
      expect(t!.improves, id).toBe(true);
      expect(t!.accuracyGain!, id).toBeGreaterThan(0.07);
      // Gradient flow through depth is measurably more even at initialization.
      expect(t!.flowGain, id).toBeGreaterThan(10);
    }
    // Improving treatments come first, each better than "no change".
    const firstNot = report.treatments.findIndex((t) => !t.improves);
    if (firstNot >= 0)
      expect(report.treatments.slice(firstNot).every((t) => !t.improves)).toBe(true);
    expect(byId("relu-he")!.lossGain).toBeGreaterThan(0.3);
    expect(report.headline).toMatch(/Best measured remedy/);
  }, 180_000);

  it("rescues an exploding network with gradient clipping", async () => {
    const report = await doctor(
      { depth: 30, init: "normal", weightVar: 4, loss: "mse", lr: 1, dataset: "spirals" },
      { budget: 150, maxTreatments: 3 },
    );
    expect(report.baseline.status).toBe("exploded");
    expect(report.diagnosis.findings[0]?.id).toBe("non-finite");
    const clip = report.treatments.find((t) => t.remedyIds.includes("gradient-clipping"));
    expect(clip?.outcome.status).toBe("completed");
    expect(clip?.improves).toBe(true);
    expect(report.treatments[0]!.improves).toBe(true);
  }, 180_000);

  it("builds single remedies plus the best compatible pair", () => {
    const remedy = (id: string, change: Record<string, unknown>, rank: number) => ({
      id,
      label: id,
      why: "",
      configChange: change,
      rank,
    });
    const list = treatmentsFor(
      {
        healthy: false,
        headline: "",
        findings: [
          {
            id: "vanishing",
            severity: "critical",
            title: "",
            layers: [],
            steps: [],
            evidence: [],
            cause: "",
            remedies: [
              remedy("relu-he", { activation: "relu", init: "he-normal" }, 1),
              remedy("batch-norm", { batchNorm: true }, 2),
              remedy("residual", { residual: true }, 3),
            ],
          },
        ],
      } as never,
      6,
    );
    expect(list.map((t) => t.ids.join("+"))).toEqual([
      "relu-he",
      "batch-norm",
      "relu-he+batch-norm",
      "residual",
    ]);
    expect(list[2]!.changes).toEqual({ activation: "relu", init: "he-normal", batchNorm: true });
  });
});

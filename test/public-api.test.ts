import { describe, expect, it } from "vitest";
import * as api from "../src/index.ts";

describe("public API", () => {
  it("exports the documented entry points", () => {
    for (const name of [
      "Mat",
      "Rng",
      "Network",
      "Dense",
      "BatchNorm",
      "LayerNorm",
      "HiddenBlock",
      "getActivation",
      "initDense",
      "createLoss",
      "measureNetwork",
      "resolveProbeConfig",
      "runProbe",
      "buildProbe",
      "forwardBackward",
      "dumpChunks",
      "theoryReport",
      "criticalWeightVar",
      "predictProbe",
      "probeTheoryUnavailable",
      "evaluateDecisionGrid",
      "gridBounds",
      "gridClassAt",
      "predictProfile",
      "gemmNT",
      "RecurrentLayer",
      "runRecurrentProbe",
      "resolveRecurrentConfig",
      "trainRecurrent",
      "pascanuBounds",
      "TransformerModel",
      "runTransformerProbe",
      "transformerConfig",
      "trainTransformer",
    ]) {
      expect(api, name).toHaveProperty(name);
    }
  });
  it("the README example runs", () => {
    const result = api.runProbe(
      api.resolveProbeConfig({
        depth: 20,
        width: 64,
        activation: "sigmoid",
        init: "standard-uniform",
      }),
    );
    expect(result.summary.verdict).toBe("vanishing");
    expect(result.summary.perLayerFactor).toBeGreaterThan(0.015);
    expect(result.summary.perLayerFactor).toBeLessThan(0.025);
    expect(api.criticalWeightVar("tanh", 0)).toBeCloseTo(1, 6);
  });
  it("the API.md network example runs", () => {
    const net = new api.Network({
      inputDim: 2,
      depth: 10,
      width: 32,
      activation: "relu",
      normalization: "batch-norm",
      outputs: 3,
    });
    net.initialize("he-normal", {}, new api.Rng(1));
    const x = api.Mat.zeros(16, 2);
    new api.Rng(2).fillNormal(x.data);
    const y = net.forward(x, "train");
    expect([y.rows, y.cols]).toEqual([16, 3]);
    const loss = api.createLoss("cross-entropy");
    const target = api.Mat.zeros(16, 3);
    for (let r = 0; r < 16; r++) target.set(r, r % 3, 1);
    expect(loss.forward(y, target)).toBeGreaterThan(0);
    net.backward(loss.backward());
    expect(net.params().map((p) => p.name)).toContain("layer1.W");
  });
  it("the API.md batch-norm prediction and decision-grid examples run", () => {
    const bn = api.resolveProbeConfig({ depth: 5, width: 16, batch: 8, batchNorm: true });
    expect(api.probeTheoryUnavailable({ ...bn, activation: "relu" })).toBeNull();
    expect(api.predictProbe({ ...bn, activation: "relu" }).source).toBe("batch-norm mean-field");
    expect(api.probeTheoryUnavailable({ ...bn, activation: "tanh" })).toMatch(/identity and relu/);
    expect(() => api.predictProbe({ ...bn, activation: "tanh" })).toThrow(RangeError);

    const net = new api.Network({
      inputDim: 2,
      depth: 3,
      width: 8,
      activation: "relu",
      outputs: 3,
    });
    net.initialize("he-normal", {}, new api.Rng(1));
    const x = api.Mat.zeros(16, 2);
    new api.Rng(2).fillNormal(x.data);
    const bounds = api.gridBounds(x);
    expect(bounds.xMax).toBeGreaterThan(bounds.xMin);
    const grid = api.evaluateDecisionGrid(net, bounds, { nx: 8, ny: 6, batch: 16 });
    expect(grid.classes).toHaveLength(48);
    expect(grid.classCount).toBe(3);
    for (const c of grid.classes) expect([0, 1, 2]).toContain(c);
    // The cell (2, 4) has its centre at xMin + 2.5 dx, yMin + 4.5 dy.
    const cx = bounds.xMin + (2.5 * (bounds.xMax - bounds.xMin)) / 8;
    const cy = bounds.yMin + (4.5 * (bounds.yMax - bounds.yMin)) / 6;
    expect(api.gridClassAt(grid, cx, cy)).toBe(grid.classes[4 * 8 + 2]);
  });
});

/**
 * Memory checks cover the dataset (issue #17, class 2): they use the memory available now
 * (MemAvailable, not the machine's total) and refuse before anything is allocated.
 */
import { describe, expect, it } from "vitest";
import { availableMemory, memoryBudget } from "../memory-node.ts";
import { DatasetError } from "./errors.ts";
import { loadDataset } from "./load.ts";
import { loadSyntheticDataset } from "./synthetic-load.ts";

describe("dataset memory checks", () => {
  it("available memory is MemAvailable of /proc/meminfo (free plus reclaimable), below the total", async () => {
    const { totalmem } = await import("node:os");
    const available = availableMemory();
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(totalmem());
    expect(memoryBudget()).toBeLessThan(available);
  });

  it("a generated dataset too large for the memory available is refused at once", () => {
    const t0 = performance.now();
    expect(() =>
      loadDataset("teacher", { seed: 0, dtype: "f64", samples: 100_000_000, inputDim: 1_000_000 }),
    ).toThrow(
      /^dataset teacher: 100000000 samples of 1000000 inputs and 1 outputs need about \d+ MiB, over the \d+ MiB of memory available: use fewer samples or a smaller inputDim$/,
    );
    expect(performance.now() - t0).toBeLessThan(1000); // nothing was allocated or generated
    expect(() =>
      loadSyntheticDataset("spirals", {
        seed: 0,
        dtype: "f32",
        samples: 1000,
        memoryLimitBytes: 1000,
      }),
    ).toThrow(DatasetError);
    expect(loadSyntheticDataset("spirals", { seed: 0, dtype: "f32", samples: 100 }).inputDim).toBe(
      2,
    );
  });
});

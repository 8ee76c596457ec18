/**
 * --task (issue #17, class 6): labels {1,2}, {-1,1}, {0,1,3} are read as classes; a CSV with
 * real-valued labels trains with --loss cross-entropy as classes instead of failing with the
 * advice "use mse"; --task regression overrides the inference; --task needs --dataset csv.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, resolveTrainConfig } from "../config.ts";
import { datasetOptions } from "../train/train-config.ts";
import { train } from "../train/trainer.ts";
import { loadDataset } from "./load.ts";

const dir = mkdtempSync(join(tmpdir(), "gradscope-task-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(labels: readonly (number | string)[]): string {
  const path = join(dir, `t${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(
    path,
    `a,b,y\n${labels.map((l, i) => `${i / 10},${(i * 7) % 5},${l}`).join("\n")}\n`,
  );
  return path;
}

const cycle = (values: readonly number[], n = 40) =>
  Array.from({ length: n }, (_, i) => values[i % values.length]!);

describe("--task", () => {
  it("is an option of train: needs --dataset csv, and regression cannot take cross-entropy", () => {
    expect(() => resolveTrainConfig({ task: "regression" }, "flag")).toThrow(
      "--task applies to --dataset csv (spirals is classification)",
    );
    const path = csv(cycle([1, 2]));
    expect(() =>
      resolveTrainConfig(
        { dataset: "csv", csv: path, task: "regression", loss: "cross-entropy" },
        "flag",
      ),
    ).toThrow(
      "--loss cross-entropy needs classes: --task regression reads the labels as numbers (use --loss mse, or --task classification)",
    );
    expect(() => resolveTrainConfig({ dataset: "csv", csv: path, task: "rank" }, "flag")).toThrow(
      ConfigError,
    );
    expect(resolveTrainConfig({}, "key").task).toBeNull();
  });

  it("task and loss reach the loader: cross-entropy reads the labels as classes", () => {
    const path = csv(cycle([0.5, 1.5, 2.5]));
    const load = (input: Record<string, unknown>) => {
      const c = resolveTrainConfig({ dataset: "csv", csv: path, ...input }, "flag");
      return loadDataset("csv", datasetOptions(c));
    };
    expect(load({}).task).toBe("regression");
    expect(load({ loss: "cross-entropy" }).task).toBe("classification");
    expect(load({ task: "classification" }).classNames).toEqual(["0.5", "1.5", "2.5"]);
    const ints = csv(cycle([1, 2]));
    const c = resolveTrainConfig({ dataset: "csv", csv: ints, task: "regression" }, "flag");
    expect(loadDataset("csv", datasetOptions(c)).task).toBe("regression");
  });

  it("train: labels {-1, 1} train with cross-entropy by default; the rule is in the summary", async () => {
    const path = csv(cycle([-1, 1]));
    const r = await train(
      { dataset: "csv", csv: path, depth: 2, width: 4, steps: 3, batch: 8, seed: 1 },
      { keepRecords: false },
    );
    expect(r.config.loss).toBe("cross-entropy");
    expect(r.summary.dataset.task).toBe("classification");
    expect(r.summary.dataset.description).toContain(
      "task inferred: classification (2 distinct integer labels: -1, 1; --task regression reads them as numbers)",
    );
  });
});

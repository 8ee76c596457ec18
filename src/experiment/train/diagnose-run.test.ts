import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnoseRunDir } from "./diagnose-run.ts";
import { train } from "./trainer.ts";

describe("diagnoseRunDir", () => {
  it("stores the diagnosis of a vanishing run in summary.json", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gradscope-diag-")), "run");
    await train(
      {
        depth: 12,
        width: 32,
        activation: "sigmoid",
        init: "standard-uniform",
        steps: 60,
        recordEvery: 10,
      },
      { runDir: dir },
    );
    const diagnosis = diagnoseRunDir(dir);
    expect(diagnosis?.findings[0]?.id).toBe("vanishing");
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    expect(summary.status).toBe("completed");
    expect(summary.diagnosis.findings[0].id).toBe("vanishing");
    expect(summary.diagnosis.findings[0].evidence.length).toBeGreaterThan(0);
  });
});

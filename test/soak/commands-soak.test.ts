/**
 * A CI slice of the command soak (test/soak/commands-soak.ts): 80 random configurations of
 * train, compare, doctor, report, diagnose and import, each ending with exit 0 or a one-line
 * refusal (exit 2). The full 1,000 run is `npx tsx bench/soak-commands.ts` (docs/RELIABILITY.md).
 */
import { describe, expect, it } from "vitest";
import { runSoak } from "./commands-soak.ts";

describe("command soak (CI slice)", () => {
  it("80 random command lines: exit 0 or a one-line refusal, never an internal error", async () => {
    const tally = await runSoak(80, 20261129);
    const lines = Object.entries(tally.byCommand).map(
      ([c, b]) => `${c} ${b.runs} (${b.ok} ok, ${b.refused} refused)`,
    );
    console.log(
      `command soak: ${tally.runs} cases in ${(tally.ms / 1000).toFixed(1)} s: ${lines.join(", ")}`,
    );
    expect(
      tally.failures.map((f) => `${f.case.argv.join(" ")}: ${f.failure}: ${f.stderr}`),
    ).toEqual([]);
    for (const b of Object.values(tally.byCommand)) expect(b.runs).toBeGreaterThan(0);
  }, 240_000);
});

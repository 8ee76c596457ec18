/**
 * The command soak at full size: `npx tsx bench/soak-commands.ts [count] [seed]` (default
 * 1,000 cases, seed 20261129). Prints a tally per command, the kinds of refusals met and
 * every failure; exits 1 when any case failed. docs/RELIABILITY.md reports its result.
 */
import { runSoak } from "../test/soak/commands-soak.ts";

const count = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 20261129);
const tally = await runSoak(count, seed, (o, i) => {
  if (o.failure !== null || (i + 1) % 50 === 0) {
    process.stderr.write(
      `${i + 1}/${count}${o.failure ? ` FAILURE ${o.case.argv.join(" ")}: ${o.failure}` : ""}\n`,
    );
  }
});
console.log(`command soak: ${tally.runs} cases, seed ${seed}, ${(tally.ms / 1000).toFixed(0)} s`);
for (const [command, b] of Object.entries(tally.byCommand)) {
  console.log(
    `  ${command.padEnd(9)} ${String(b.runs).padStart(5)} runs, ${b.ok} exit 0, ${b.refused} refused (exit 2, one line)`,
  );
}
console.log(`  failures: ${tally.failures.length}`);
for (const [name, n] of tally.knownOpen)
  console.log(`  known open (found by this soak, not fixed yet): ${n} x ${name}`);
for (const f of tally.failures)
  console.log(
    `    ${f.case.argv.join(" ")}\n      ${f.failure}\n      ${f.stderr.trim().split("\n").join("\n      ")}`,
  );
console.log("  refusals by kind:");
for (const [kind, n] of [...tally.refusals].sort((a, b) => b[1] - a[1]))
  console.log(`    ${String(n).padStart(4)}  ${kind}`);
process.exitCode = tally.failures.length > 0 ? 1 : 0;

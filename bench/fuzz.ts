/**
 * Coverage-guided fuzzing of the CSV reader, the config parser, the URL codec and the
 * checkpoint reader for a fixed budget: `npx tsx bench/fuzz.ts [seconds per target] [seed]
 * [target]`
 * (default 60 s, seed 1). Crashing inputs are written to test/fuzz/crashes/ (replayed by
 * test/fuzz/fuzz.test.ts); exits 1 when there was any. docs/RELIABILITY.md reports its result.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { enableBlockCoverage, fuzz } from "../test/fuzz/engine.ts";

enableBlockCoverage(); // before the targets' modules are compiled
const { checkpointTarget, configTarget, csvTarget, urlTarget } = await import(
  "../test/fuzz/targets.ts"
);

const seconds = Number(process.argv[2] ?? 60);
const seed = Number(process.argv[3] ?? 1);
const only = process.argv[4]; // a part of a target's name: fuzz that one alone
const crashDir = resolve(import.meta.dirname, "../test/fuzz/crashes");
let crashes = 0;
let total = 0;
const all = [csvTarget, configTarget, urlTarget, checkpointTarget()];
for (const target of all.filter((t) => only === undefined || t.name.includes(only))) {
  const r = fuzz(target, { ms: seconds * 1000, seed });
  total += r.executions;
  console.log(
    `${r.target.padEnd(18)} ${String(r.executions).padStart(8)} executions in ${(r.ms / 1000).toFixed(0)} s (${Math.round(r.executions / (r.ms / 1000))}/s), corpus ${r.corpus}, ${r.blocks} blocks covered, ${r.crashes.length} crashes`,
  );
  for (const k of r.knownOpen) {
    console.log(
      `  known open (not fixed yet): ${k.count} x ${k.pattern}; first input ${JSON.stringify(k.input.slice(0, 120))}`,
    );
  }
  for (const c of r.crashes) {
    crashes++;
    mkdirSync(crashDir, { recursive: true });
    const slug = target.name.replace(/\W+/g, "-");
    const hash = createHash("sha256").update(c.input).digest("hex").slice(0, 12);
    const file = join(crashDir, `${slug}-${hash}.txt`);
    writeFileSync(file, c.input);
    console.log(`  crash: ${c.error.slice(0, 300)}\n    input saved to ${file}`);
  }
}
console.log(`total: ${total} executions, ${crashes} crashes`);
process.exitCode = crashes > 0 ? 1 : 0;

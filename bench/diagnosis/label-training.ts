/**
 * Labels the training cases of the diagnosis benchmark by the outcome of long runs, once, and
 * stores them in bench/diagnosis/training-labels.json (committed: they are expensive).
 *
 *   npx tsx bench/diagnosis/label-training.ts            (every training case)
 *   npx tsx bench/diagnosis/label-training.ts ID ...     (re-label some, keep the others)
 *
 * For each case: train its config for LABEL_STEPS_FACTOR x its bench budget at seeds s and
 * s + 1 (s = the config's seed, default 0), apply labels.ts trainingRule to the first run (NaN/Inf
 * -> exploded; global gradient norm growth > 1e3 -> exploding; never above chance with a
 * vanishing gradient at initialization -> vanishing; else healthy), and note when the second
 * seed disagrees. Cases with a known fix also get a long run of the fix (seed s): the case is
 * "fixable" when that run learns. Nothing here calls src/verdict or src/diagnose for the label
 * (the trainer records the run; the rule reads the records).
 */
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { gemmBackend } from "../../src/core/kernels/gemm.ts";
import { loadNativeKernels } from "../../src/native/native-kernels.ts";
import { setupNodeWasm } from "../../src/wasm-threads/node.ts";
import { LABEL_STEPS_FACTOR, TRAIN_CASES, type TrainCase } from "./cases.ts";
import {
  LEARN_ACCURACY_MARGIN,
  LEARN_LOSS_FRACTION,
  readTrainingLabels,
  type TrainingLabel,
  type TrainingLabelsFile,
} from "./labels.ts";
import { longRun } from "./outcome.ts";

async function labelCase(c: TrainCase): Promise<TrainingLabel> {
  const steps = c.budget * LABEL_STEPS_FACTOR;
  const seed = c.config.seed ?? 0;
  const a = await longRun({ ...c.config, seed }, steps);
  const b = await longRun({ ...c.config, seed: seed + 1 }, steps);
  const fix = c.fix ? await longRun({ ...c.config, ...c.fix.changes, seed }, steps) : undefined;
  return {
    id: c.id,
    label: a.label,
    runs: [a, b],
    seedDependent: a.label !== b.label,
    ...(fix ? { fix } : {}),
    fixable: fix?.learned ?? false,
  };
}

async function main(): Promise<void> {
  loadNativeKernels();
  setupNodeWasm();
  const only = process.argv.slice(2);
  const previous = readTrainingLabels();
  const kept = new Map((previous?.labels ?? []).map((l) => [l.id, l]));
  const todo = TRAIN_CASES.filter((c) => (only.length > 0 ? only.includes(c.id) : true));
  const t0 = performance.now();
  for (const c of todo) {
    const l = await labelCase(c);
    kept.set(c.id, l);
    const r = l.runs[0]!;
    console.log(
      `${c.id.padEnd(48)} ${l.label.padEnd(10)} ${r.status} acc ${r.testAcc ?? "-"} loss ${r.testLoss?.toPrecision(3) ?? "-"} chance ${r.chance.toPrecision(3)} growth ${r.growth.toExponential(1)} initSpan ${r.initSpan.toExponential(1)}${l.seedDependent ? ` (seed ${l.runs[1]!.seed}: ${l.runs[1]!.label})` : ""}${l.fix ? ` fix: ${l.fix.label}, learned ${l.fix.learned} acc ${l.fix.testAcc ?? "-"} loss ${l.fix.testLoss?.toPrecision(3) ?? "-"}` : ""} (${((r.elapsedMs + l.runs[1]!.elapsedMs + (l.fix?.elapsedMs ?? 0)) / 1000).toFixed(1)} s)`,
    );
  }
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {}
  const file: TrainingLabelsFile = {
    how: `npx tsx bench/diagnosis/label-training.ts: each training case trained for ${LABEL_STEPS_FACTOR}x its bench budget at seeds s and s+1 (label from seed s), plus its known fix at seed s; rule labels.ts trainingRule (NaN/Inf -> exploded; gradient-norm growth > 1e3 -> exploding; not above chance (accuracy + ${LEARN_ACCURACY_MARGIN}, or mse <= ${LEARN_LOSS_FRACTION} x the mean predictor's) with initial G_2/G_L < 1e-2 -> vanishing, > 1e2 -> exploding; else healthy). Commit ${commit}, kernels ${gemmBackend()}, node ${process.version}.`,
    made: new Date().toISOString(),
    stepsFactor: LABEL_STEPS_FACTOR,
    labels: TRAIN_CASES.map((c) => kept.get(c.id)).filter((l): l is TrainingLabel => !!l),
  };
  writeFileSync(
    new URL("./training-labels.json", import.meta.url),
    `${JSON.stringify(file, null, 2)}\n`,
  );
  console.log(`${todo.length} cases labelled in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();

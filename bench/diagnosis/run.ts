/**
 * The diagnosis benchmark (issue 13, part 4): every labelled case of cases.ts through
 * gradscope's verdict and diagnosis, against its independent label (labels.ts).
 *
 *   npm run bench:diagnosis                 every case
 *   npm run bench:diagnosis -- --quick      a quarter of each group
 *   npm run bench:diagnosis -- --doctor     also run `doctor` on the fixable training cases
 *   options: --init-only, --train-only, --doctor-budget N (default 200), --doctor-seeds K
 *   (default 1), --jobs N (doctor's worker threads, default 1)
 *
 * Prints the confusion matrices (label x measured) of verdicts and of primary findings, the
 * agreement, every disagreement with its numbers and explanation (explanations.ts), the
 * contradictions between verdict and diagnosis, and the doctor's success rate; writes
 * bench/diagnosis/results.json.
 */
import { writeFileSync } from "node:fs";
import { getActivation } from "../../src/core/activations.ts";
import { gemmBackend } from "../../src/core/kernels/gemm.ts";
import { resolveTrainConfig } from "../../src/experiment/config.ts";
import { loadDatasetAsync } from "../../src/experiment/datasets/index.ts";
import { doctor } from "../../src/experiment/doctor.ts";
import { datasetOptions } from "../../src/experiment/train/train-config.ts";
import { loadNativeKernels } from "../../src/native/native-kernels.ts";
import { predictProfile } from "../../src/theory/profile.ts";
import { setupNodeWasm } from "../../src/wasm-threads/node.ts";
import { INIT_CASES, quickSubset, TRAIN_CASES, type TrainCase } from "./cases.ts";
import { EXPLANATIONS } from "./explanations.ts";
import {
  batchNormClosedForm,
  batchNormMonteCarlo,
  plainProfile,
  readTrainingLabels,
  trainingLabelOf,
} from "./labels.ts";
import {
  agreement,
  type CaseResult,
  type Confusion,
  describeNumbers,
  formatConfusion,
  primaryConfusion,
  runInitCase,
  runTrainCase,
  verdictConfusion,
} from "./measure.ts";
import { chanceOf, learnedOf } from "./outcome.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const quick = flag("--quick");
const withDoctor = flag("--doctor");
const initOnly = flag("--init-only");
const trainOnly = flag("--train-only");

loadNativeKernels();
setupNodeWasm();

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The labelling rules checked against each other and against src/theory. */
function selfCheck(): string[] {
  const lines: string[] = [];
  const mf = plainProfile(getActivation("tanh"), 1.5, 0.05, 30);
  const th = predictProfile({ activation: "tanh", weightVar: 1.5, biasVar: 0.05, depth: 30 });
  const relErr = Math.max(
    ...th.map((r, i) => Math.abs(Math.exp(mf.logG[i]!) / r.gradPreactMeanSq - 1)),
  );
  lines.push(
    `mean-field recursion vs src/theory predictProfile (tanh 1.5/0.05, depth 30): max relative difference of E[dz^2] ${relErr.toExponential(1)}`,
  );
  for (const B of [16, 64]) {
    const mc = batchNormMonteCarlo(getActivation("relu"), 2, 0, 20, B, false, 1);
    const cf = batchNormClosedForm("relu", 2, 0, 20, B);
    const span = (p: { logG: number[] }) => Math.exp(p.logG[1]! - p.logG[19]!);
    lines.push(
      `batch-norm Monte Carlo vs closed form (ReLU, B ${B}, depth 20): span ${span(mc).toPrecision(4)} vs ${span(cf).toPrecision(4)}`,
    );
  }
  return lines;
}

function section(title: string): void {
  console.log(`\n## ${title}\n`);
}

function printTables(name: string, results: readonly CaseResult[]): { v: Confusion; p: Confusion } {
  const v = verdictConfusion(results);
  const p = primaryConfusion(results);
  console.log(`### ${name}: verdicts (rows: label, columns: measured)\n`);
  console.log(formatConfusion(v, "label \\ verdict"));
  console.log(`\nagreement ${v.agree}/${v.total} = ${pct(agreement(v))}\n`);
  console.log(`### ${name}: primary findings (rows: expected, columns: diagnosis)\n`);
  console.log(formatConfusion(p, "expected \\ primary"));
  console.log(`\nagreement ${p.agree}/${p.total} = ${pct(agreement(p))}\n`);
  return { v, p };
}

interface DoctorRow {
  id: string;
  knownFix: string;
  diagnosis: string;
  top: string | null;
  topVerdict: string | null;
  topTestAcc: number | null;
  topTestLoss: number | null;
  chance: number;
  learns: boolean;
  doctorSaysLearned: boolean | null;
  treatments: number;
  ms: number;
}

async function runDoctor(c: TrainCase, budget: number, seeds: number, jobs: number) {
  const t0 = performance.now();
  const report = await doctor(c.config, { budget, seeds, jobs, maxTreatments: 4 });
  const cfg = resolveTrainConfig({ ...c.config }, "key");
  const chance = chanceOf(await loadDatasetAsync(cfg.dataset, datasetOptions(cfg)));
  // the top-ranked remedy: the first win (doctor lists wins first, by rank); without one, the
  // fix doctor found may be the configuration's own learning-rate sweep (no change at a lower
  // rate), which its headline names
  const top = report.treatments.find((t) => t.rank === 1) ?? null;
  const base = report.baselineRun;
  const rateFix =
    top === null && base.lr !== report.config.lr && base.learned
      ? {
          label: `no change at lr ${base.lr}`,
          outcome: base.outcome,
          verdict: "rate",
          learned: true,
        }
      : null;
  const pick = top ?? rateFix;
  const learns = pick
    ? learnedOf(chance, pick.outcome.testAcc, null, pick.outcome.testLoss) &&
      pick.outcome.status === "completed"
    : false;
  const row: DoctorRow = {
    id: c.id,
    knownFix: c.fix?.why ?? "",
    diagnosis: report.diagnosis.headline,
    top: pick?.label ?? null,
    topVerdict: pick?.verdict ?? null,
    topTestAcc: pick?.outcome.testAcc ?? null,
    topTestLoss: pick?.outcome.testLoss ?? null,
    chance: chance.accuracy ?? chance.loss!,
    learns,
    doctorSaysLearned: pick?.learned ?? null,
    treatments: report.treatments.length,
    ms: performance.now() - t0,
  };
  return row;
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`# gradscope diagnosis benchmark${quick ? " (--quick)" : ""}`);
  console.log(`kernels ${gemmBackend()}, node ${process.version}`);
  section("Label self-check");
  for (const l of selfCheck()) console.log(`- ${l}`);

  const initCases = trainOnly ? [] : quick ? quickSubset(INIT_CASES) : [...INIT_CASES];
  const trainCases = initOnly ? [] : quick ? quickSubset(TRAIN_CASES, 3) : [...TRAIN_CASES];
  const labels = readTrainingLabels();
  if (trainCases.length > 0 && !labels) {
    console.log(
      "\nno training-labels.json: run `npx tsx bench/diagnosis/label-training.ts` first; training cases skipped",
    );
  }

  const t0 = performance.now();
  const init: CaseResult[] = initCases.map((c) => runInitCase(c));
  const initMs = performance.now() - t0;
  const t1 = performance.now();
  const trainResults: CaseResult[] = [];
  for (const c of labels ? trainCases : []) {
    const label = trainingLabelOf(c, labels);
    if (!label) {
      console.log(`no stored label for ${c.id}: skipped (re-run label-training.ts ${c.id})`);
      continue;
    }
    trainResults.push(await runTrainCase(c, label));
  }
  const trainMs = performance.now() - t1;
  const all = [...init, ...trainResults];

  section(
    `Cases: ${init.length} initialization (${sec(initMs)}), ${trainResults.length} training (${sec(trainMs)})`,
  );
  const rules = new Map<string, number>();
  for (const r of all)
    rules.set(
      r.rule.replace(/\(.*\)/, "").trim(),
      (rules.get(r.rule.replace(/\(.*\)/, "").trim()) ?? 0) + 1,
    );
  console.log(`labelled by: ${[...rules].map(([k, n]) => `${k} ${n}`).join(", ")}\n`);
  const both = printTables("All cases", all);
  if (init.length > 0 && trainResults.length > 0) {
    printTables("Initialization cases", init);
    printTables("Training cases", trainResults);
  }

  section("Contradictions between verdict and diagnosis");
  const contra = all.filter((r) => r.contradictions.length > 0 || r.verdict !== r.diagnosisVerdict);
  console.log(
    `${contra.length} case${contra.length === 1 ? "" : "s"} with a contradiction (target 0)`,
  );
  for (const r of contra) console.log(`- ${r.id}: ${r.contradictions.join("; ")}`);

  section("Disagreements with the label");
  const dis = all.filter((r) => !r.verdictAgrees || !r.primaryAgrees);
  if (dis.length === 0) console.log("none");
  for (const r of dis) {
    console.log(
      `- ${r.id} (${r.rule}): label ${r.label} / primary ${r.expectedPrimary ?? "none"}, measured ${r.verdict} / primary ${r.primary ?? "none"}`,
    );
    console.log(`  ${describeNumbers(r)}`);
    console.log(`  gradscope: ${r.message}`);
    console.log(`  why: ${EXPLANATIONS[r.id] ?? "NOT EXPLAINED YET"}`);
  }

  let doctorRows: DoctorRow[] = [];
  let doctorMs = 0;
  if (withDoctor && labels) {
    const budget = value("--doctor-budget", 200);
    const seeds = value("--doctor-seeds", 1);
    const jobs = value("--jobs", 1);
    const fixable = trainCases.filter((c) => {
      const l = trainingLabelOf(c, labels);
      return c.fix && l?.fixable && l.label !== "healthy";
    });
    section(
      `Doctor: ${fixable.length} fixable cases (budget ${budget}, ${seeds} seed${seeds > 1 ? "s" : ""})`,
    );
    const td = performance.now();
    for (const c of fixable) {
      const row = await runDoctor(c, budget, seeds, jobs);
      doctorRows.push(row);
      const acc =
        row.topTestAcc !== null
          ? `test acc ${row.topTestAcc.toFixed(3)}`
          : `test loss ${row.topTestLoss?.toPrecision(3)}`;
      console.log(
        `- ${row.id}: top remedy ${row.top ?? "(none better than no change)"}${row.top ? ` (${row.topVerdict}, ${acc}, chance ${row.chance.toPrecision(3)})` : ""}: ${row.learns ? "learns" : "does not learn"} [${sec(row.ms)}]`,
      );
    }
    doctorMs = performance.now() - td;
    const ok = doctorRows.filter((r) => r.learns).length;
    console.log(
      `\ndoctor's top remedy learns in ${ok}/${doctorRows.length} = ${pct(ok / Math.max(1, doctorRows.length))} of the fixable cases (target 90%), ${sec(doctorMs)}`,
    );
  } else {
    doctorRows = [];
  }

  const totalMs = performance.now() - started;
  section("Summary");
  console.log(
    `verdict agreement ${both.v.agree}/${both.v.total} = ${pct(agreement(both.v))} (target 95%)`,
  );
  console.log(
    `primary-finding agreement ${both.p.agree}/${both.p.total} = ${pct(agreement(both.p))} (target 95%)`,
  );
  console.log(`contradictions ${contra.length} (target 0)`);
  console.log(
    `time ${sec(totalMs)} (initialization ${sec(initMs)}, training ${sec(trainMs)}${withDoctor ? `, doctor ${sec(doctorMs)}` : ""})`,
  );

  if (!quick && !initOnly && !trainOnly) {
    writeFileSync(
      new URL("./results.json", import.meta.url),
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          kernels: gemmBackend(),
          cases: { init: init.length, train: trainResults.length },
          verdicts: both.v,
          primaries: both.p,
          contradictions: contra.map((r) => ({ id: r.id, contradictions: r.contradictions })),
          disagreements: dis.map((r) => ({ id: r.id, explanation: EXPLANATIONS[r.id] ?? null })),
          doctor: withDoctor
            ? { rows: doctorRows, learns: doctorRows.filter((r) => r.learns).length, ms: doctorMs }
            : null,
          ms: { total: totalMs, init: initMs, train: trainMs, doctor: doctorMs },
          results: all,
        },
        (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
        1,
      )}\n`,
    );
  }
}

await main();

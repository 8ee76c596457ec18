/**
 * Regenerates the doctor table of the README ("How doctor judges a remedy"): runs `doctor` on
 * the seed story and prints the table in markdown, naming the kernels, the seeds and the time.
 *
 *   npx tsx scripts/doctor-table.ts                  # this process's kernels (native if built)
 *   npx tsx scripts/doctor-table.ts --kernels all    # also native, wasm relaxed, wasm plain and
 *                                                    # TypeScript in child processes: the ranking
 *                                                    # on each, and whether they agree
 *   npx tsx scripts/doctor-table.ts --seeds 5 --jobs 2
 *
 * The kernels of this process follow the usual switches (GRADSCOPE_NATIVE=0,
 * GRADSCOPE_WASM_RELAXED=0, GRADSCOPE_WASM=0).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type DoctorReport, type DoctorRun, doctor } from "../src/experiment/doctor.ts";
import { defaultJobs } from "../src/experiment/pool/pool.ts";
import { loadNativeKernels } from "../src/native/native-kernels.ts";
import { setupNodeWasm } from "../src/wasm-threads/node.ts";

loadNativeKernels();
setupNodeWasm();

const { values } = parseArgs({
  options: {
    kernels: { type: "string", default: "current" },
    seeds: { type: "string", default: "3" },
    jobs: { type: "string" },
  },
});
const seeds = Number(values.seeds);
const jobs = values.jobs === undefined ? defaultJobs() : Number(values.jobs);

/** The seed story as doctor's flags (the README's command). */
const STORY_FLAGS = [
  ...["--depth", "20", "--width", "64", "--activation", "sigmoid"],
  ...["--init", "standard-uniform", "--dataset", "spirals"],
];
const STORY = {
  depth: 20,
  width: 64,
  activation: "sigmoid",
  init: "standard-uniform",
  dataset: "spirals",
} as const;

const pct = (v: number): string => (100 * v).toFixed(1);
const num = (v: number): string => Number(v.toPrecision(3)).toString();

function accCell(run: DoctorRun): string {
  const s = run.spread.testAcc;
  if (!s) return "-";
  return `${pct(s.mean)}% (${pct(s.min)}-${pct(s.max)})`;
}

function lossCell(run: DoctorRun): string {
  const s = run.spread.testLoss;
  return s ? `${num(s.mean)} (${num(s.min)}-${num(s.max)})` : `blew up in ${run.broke}`;
}

function markdown(r: DoctorReport, seconds: number): string {
  const first = r.seeds.slice(0, r.seeds.length - r.moreSeeds.length);
  const lines = [
    `Kernels: ${r.kernels}. Seeds ${first.join(", ")}${r.moreSeeds.length > 0 ? ` (then ${r.moreSeeds.join(", ")} where the noise left a verdict open)` : ""}, paired; ${r.steps} steps per run; learning rates ${r.baselineRun.lrTried.map((x) => num(x.lr)).join(", ")} for each configuration, kept by mean training-set loss; ${r.runs} runs in ${seconds.toFixed(0)} s with --jobs ${jobs} on ${availableParallelism()} cores.`,
    "",
    "| rank | remedy | lr | test acc (min-max) | test loss (min-max) | acc gain (pts) ± noise | verdict |",
    "|---:|---|---:|---|---|---|---|",
    `| - | no change | ${num(r.baselineRun.lr)} | ${accCell(r.baselineRun)} | ${lossCell(r.baselineRun)} | | ${r.baselineRun.learned ? "" : "at chance"} |`,
  ];
  for (const t of r.treatments) {
    const gain =
      t.accuracyGain === null
        ? "-"
        : `${t.accuracyGain >= 0 ? "+" : ""}${pct(t.accuracyGain)} ± ${pct(t.noise.accuracy ?? 0)}`;
    lines.push(
      `| ${t.rank ?? "-"} | ${t.label} | ${num(t.lr)} | ${accCell(t)} | ${lossCell(t)} | ${gain} | ${t.verdict}${t.note ? ` (${t.note})` : ""} |`,
    );
  }
  lines.push("", r.headline);
  return lines.join("\n");
}

const root = fileURLToPath(new URL("..", import.meta.url));
const KERNEL_SETS: { name: string; env: Record<string, string> }[] = [
  ...(existsSync(`${root}/native/build/Release/gradscope_native.node`)
    ? [{ name: "native", env: {} }]
    : []),
  { name: "WebAssembly relaxed SIMD", env: { GRADSCOPE_NATIVE: "0" } },
  { name: "WebAssembly SIMD", env: { GRADSCOPE_NATIVE: "0", GRADSCOPE_WASM_RELAXED: "0" } },
  { name: "TypeScript", env: { GRADSCOPE_NATIVE: "0", GRADSCOPE_WASM: "0" } },
];

interface Ranked {
  kernels: string;
  seconds: number;
  top: string;
  /** rank, remedy and verdict: what must agree */
  ranking: string[];
  /** the same with the learning rate kept (which may differ) */
  rows: string[];
}

function inChild(env: Record<string, string>): Promise<Ranked> {
  const args = [...STORY_FLAGS, "--seeds", String(seeds), "--jobs", String(jobs), "--json"];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/run.ts", "doctor", ...args],
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`doctor exited ${code}`));
      const r = JSON.parse(out) as DoctorReport;
      resolve({
        kernels: r.kernels,
        seconds: (Date.now() - started) / 1000,
        top: r.treatments.find((t) => t.rank === 1)?.label ?? "none",
        ranking: r.treatments.map((t) => `${t.rank ?? "-"} ${t.label}: ${t.verdict}`),
        rows: r.treatments.map(
          (t) => `${t.rank ?? "-"} ${t.label} (lr ${num(t.lr)}): ${t.verdict}`,
        ),
      });
    });
  });
}

const started = Date.now();
const report = await doctor(STORY, {
  budget: 300,
  seeds,
  jobs,
  onStage: (m) => process.stderr.write(`${m}\n`),
});
const seconds = (Date.now() - started) / 1000;
process.stdout.write(
  `Seed story: \`gradscope doctor ${STORY_FLAGS.join(" ")}\`\n\n${markdown(report, seconds)}\n`,
);

if (values.kernels === "all") {
  const ranked: { name: string; r: Ranked }[] = [];
  for (const set of KERNEL_SETS) {
    process.stderr.write(`doctor-table: ${set.name} ...\n`);
    ranked.push({ name: set.name, r: await inChild(set.env) });
  }
  const same = ranked.every(
    (x) => JSON.stringify(x.r.ranking) === JSON.stringify(ranked[0]!.r.ranking),
  );
  const lines = [
    "",
    `The same doctor run on every kernel set (child processes, --jobs ${jobs}):`,
    "",
    "| kernel set | gemmBackend() | time (s) | top remedy | ranking (rank remedy (lr): verdict) |",
    "|---|---|---:|---|---|",
    ...ranked.map(
      (x) =>
        `| ${x.name} | ${x.r.kernels} | ${x.r.seconds.toFixed(0)} | ${x.r.top} | ${x.r.rows.join("; ")} |`,
    ),
    "",
    same
      ? "Rankings (order, rank and verdict) identical on every kernel set (the learning rate kept may differ)."
      : "Rankings DIFFER between kernel sets.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (!same) process.exitCode = 1;
}

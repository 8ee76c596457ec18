/**
 * Xiong et al. (2020) at initialization: the gradient norm of each block's FFN output weight
 * for post-LN and pre-LN transformers at depths 4 to 48, averaged over seeds, and the fitted
 * exponent of the last block's gradient against depth (theory: post-LN ~ L^0, pre-LN ~ L^-1/2).
 * Run: npx tsx scripts/transformer-scaling.ts [--seeds N]
 */
import {
  lastBlockExponent,
  measureLnScaling,
  SCALING_BASE,
  SCALING_DEPTHS,
} from "../src/experiment/transformer/scaling.ts";

const at = process.argv.indexOf("--seeds");
const count = at > 0 ? Number(process.argv[at + 1]) : 4;
const seeds = Array.from({ length: count }, (_, i) => i);
const started = performance.now();
const rows = measureLnScaling({ seeds, depths: SCALING_DEPTHS });
const f = (v: number) => v.toPrecision(3);
const b = SCALING_BASE;
console.log(
  `|dL/dW2| at init, d=${b.width}, heads=${b.heads}, ffn=${b.ffnWidth}, T=${b.seqLen}, batch=${b.batch}, ${b.init}, ReLU, random-projection loss; ${count} seeds`,
);
console.log(
  "| norm | L | first block | last block (+-sd) | last/first | middle block | E[x_L^2] |",
);
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const mid = r.perSeed.map((g) => g[Math.floor(g.length / 2)]!);
  const midMean = mid.reduce((s, v) => s + v, 0) / mid.length;
  console.log(
    `| ${r.normPosition}-LN | ${r.depth} | ${f(r.first)} | ${f(r.last)} (+-${f(r.lastStd)}) | ${f(r.lastOverFirst)} | ${f(midMean)} | ${f(r.lastQ.reduce((s, v) => s + v, 0) / r.lastQ.length)} |`,
  );
}
for (const np of ["post", "pre"] as const) {
  const e = lastBlockExponent(rows, np);
  console.log(
    `${np}-LN last block ~ L^p: p = ${e.exponent.toFixed(3)} (per seed ${e.perSeedMean.toFixed(3)} +- ${e.perSeedStd.toFixed(3)} sd, ${e.stdError.toFixed(3)} se); 1/rms(x_L) ~ L^${e.rmsPrediction.toFixed(3)}`,
  );
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);

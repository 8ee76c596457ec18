/**
 * TensorFlow.js (wasm backend) peer of bench/run.ts: the same training step on the same
 * weights and batch, read from an export of bench/workloads.ts.
 *
 *   npx tsx bench/peers/tfjs.ts <export path> <repeats> <steps per block> <warmup> <stock|custom>
 *
 * "stock" uses tf's own MatMul gradient; "custom" a tf.customGrad dense layer whose products
 * use explicit transposes (the stock gradient's transposed matmuls skip XNNPACK). Prints one
 * JSON line: { backend, check: { loss1, norms1, loss2 }, rates }.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

const [path, repeatsArg, perBlockArg, warmupArg, mode] = process.argv.slice(2);
if (!path || !mode) throw new Error("usage: tfjs.ts <path> <repeats> <perBlock> <warmup> <mode>");
const repeats = Number(repeatsArg);
const perBlock = Number(perBlockArg);
const warmup = Number(warmupArg);

const require = createRequire(import.meta.url);
const wasmDir = join(
  dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")),
  "dist",
);
setWasmPaths(`${wasmDir}/`);
await tf.setBackend("wasm");
await tf.ready();

interface Meta {
  depth: number;
  outputs: number;
  batch: number;
  lr: number;
  labels: number[];
  tensors: { name: string; shape: [number, number] }[];
}
const meta = JSON.parse(readFileSync(`${path}.json`, "utf8")) as Meta;
const raw = readFileSync(`${path}.bin`);
const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const byName = new Map<string, tf.Tensor2D>();
let o = 0;
for (const t of meta.tensors) {
  const n = t.shape[0] * t.shape[1];
  byName.set(t.name, tf.tensor2d(all.slice(o, o + n), t.shape));
  o += n;
}
const x = byName.get("x")!;
const onehot = tf.oneHot(tf.tensor1d(meta.labels, "int32"), meta.outputs).toFloat();
const names = [...Array.from({ length: meta.depth }, (_, l) => `layer${l + 1}`), "readout"];
const Ws = names.map((n) => tf.variable(byName.get(`${n}.W`)!, true, `${n}.W`));
const bs = names.map((n) => tf.variable(byName.get(`${n}.b`)!.reshape([-1]), true, `${n}.b`));

// z = x W^T + b with W: [out, in]; gradients through explicit transposes.
const denseCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [xi, W, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([xi, W]);
  const value = tf.add(tf.matMul(xi, tf.transpose(W)), b);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xs, Wsv] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dy2 = dy as tf.Tensor2D;
    return [tf.matMul(dy2, Wsv), tf.matMul(tf.transpose(dy2), xs), tf.sum(dy2, 0)];
  };
  return { value, gradFunc };
});

function dense(a: tf.Tensor2D, l: number): tf.Tensor2D {
  if (mode === "custom") return denseCustom(a, Ws[l]!, bs[l]!) as tf.Tensor2D;
  return tf.add(tf.matMul(a, Ws[l]!, false, true), bs[l]!);
}

function lossFn(): tf.Scalar {
  let a = x;
  for (let l = 0; l < meta.depth; l++) a = tf.tanh(dense(a, l));
  const y = dense(a, meta.depth);
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(y)), 1))) as tf.Scalar;
}

const optimizer = tf.train.sgd(meta.lr);
const varList = [...Ws, ...bs];

function step(): { loss: number; norms: number[] } {
  const { value, grads } = tf.variableGrads(lossFn, varList);
  const normT = tf.stack(Ws.map((w) => tf.norm(grads[w.name]!)));
  optimizer.applyGradients(grads);
  const loss = value.dataSync()[0]!;
  const norms = Array.from(normT.dataSync());
  tf.dispose([value, normT, ...Object.values(grads)]);
  return { loss, norms };
}

const s1 = step();
const s2 = step();
for (let i = 0; i < warmup; i++) step();
const rates: number[] = [];
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  for (let i = 0; i < perBlock; i++) step();
  rates.push((perBlock * 1000) / (performance.now() - t0));
}
console.log(
  JSON.stringify({
    backend: tf.getBackend(),
    mode,
    check: { loss1: s1.loss, norms1: s1.norms, loss2: s2.loss },
    rates,
  }),
);

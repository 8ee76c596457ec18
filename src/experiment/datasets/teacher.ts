import { Mat } from "../../core/mat.ts";
import type { Rng } from "../../core/rng.ts";
import type { RawSamples } from "./assemble.ts";

/** Shape of a teacher network. */
export interface TeacherShape {
  inputDim: number;
  outputDim: number;
  /** Hidden tanh layers; 0 gives a linear teacher. */
  depth: number;
  width: number;
}

/** One dense layer of the teacher: W is [out, in] and b is [1, out], as in core/layers. */
export interface TeacherLayer {
  W: Mat;
  b: Mat;
  activation: "tanh" | "identity";
}

/** Variance of the teacher's hidden biases. */
export const TEACHER_BIAS_VAR = 0.05;

/**
 * A random teacher network, self-contained (it does not use core/network.ts, so the dataset
 * cannot change when the student's code does): `depth` hidden layers
 * h = tanh(h_prev W^T + b) of `width` units, then a linear readout y = h W^T (no bias).
 * Every W has entries N(0, 1/fan_in) (LeCun normal) and hidden biases are N(0, 0.05), so
 * the hidden units work in tanh's nonlinear range. Draws, in float64: for each layer from the
 * input side, W row-major then b (the readout draws no bias).
 */
export function createTeacher(shape: TeacherShape, rng: Rng): TeacherLayer[] {
  const layers: TeacherLayer[] = [];
  let fanIn = shape.inputDim;
  for (let l = 0; l <= shape.depth; l++) {
    const readout = l === shape.depth;
    const out = readout ? shape.outputDim : shape.width;
    const W = Mat.zeros(out, fanIn);
    rng.fillNormal(W.data, 0, Math.sqrt(1 / fanIn));
    const b = Mat.zeros(1, out);
    if (!readout) rng.fillNormal(b.data, 0, Math.sqrt(TEACHER_BIAS_VAR));
    layers.push({ W, b, activation: readout ? "identity" : "tanh" });
    fanIn = out;
  }
  return layers;
}

/** The teacher's outputs for inputs x [batch, inputDim], in float64: [batch, outputDim]. */
export function teacherForward(layers: readonly TeacherLayer[], x: Mat): Mat {
  let h = x;
  for (const { W, b, activation } of layers) {
    const out = Mat.zeros(h.rows, W.rows);
    for (let r = 0; r < h.rows; r++) {
      for (let o = 0; o < W.rows; o++) {
        let s = b.data[o]!;
        for (let i = 0; i < W.cols; i++) s += h.data[r * h.cols + i]! * W.data[o * W.cols + i]!;
        out.data[r * W.rows + o] = activation === "tanh" ? Math.tanh(s) : s;
      }
    }
    h = out;
  }
  return h;
}

/**
 * Teacher-student regression: inputs x ~ N(0, I) [count, inputDim] (drawn row-major from
 * `dataRng`), targets y = teacher(x) + noise * N(0, 1) (one more `dataRng.normal()` per target
 * value, drawn after all inputs). The teacher's weights come from `teacherRng` alone, so a
 * fixed teacher seed gives the same function for every data seed.
 */
export function teacherSamples(
  count: number,
  shape: TeacherShape,
  noise: number,
  dataRng: Rng,
  teacherRng: Rng,
): Extract<RawSamples, { task: "regression" }> {
  const teacher = createTeacher(shape, teacherRng);
  const x = Mat.zeros(count, shape.inputDim);
  dataRng.fillNormal(x.data);
  const y = teacherForward(teacher, x);
  for (let i = 0; i < y.size; i++) y.data[i] = y.data[i]! + noise * dataRng.normal();
  return {
    task: "regression",
    count,
    inputDim: shape.inputDim,
    x: x.data,
    y: y.data,
    outputDim: shape.outputDim,
  };
}

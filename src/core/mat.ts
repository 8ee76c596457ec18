import { allocate, type DType, dtypeOf, type FloatArray } from "./dtype.ts";

/**
 * A dense row-major matrix over a typed array. `data[i * cols + j]` is entry (i, j).
 * A Mat never reallocates: layers allocate their buffers once and write into them.
 */
export class Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: FloatArray;

  constructor(rows: number, cols: number, data: FloatArray) {
    if (data.length < rows * cols) {
      throw new RangeError(`Mat ${rows}x${cols} needs ${rows * cols} elements, got ${data.length}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  static zeros(rows: number, cols: number, dtype: DType = "f64"): Mat {
    return new Mat(rows, cols, allocate(dtype, rows * cols));
  }

  /** A matrix from nested rows, e.g. `Mat.from([[1, 2], [3, 4]])`. */
  static from(rows: readonly (readonly number[])[], dtype: DType = "f64"): Mat {
    const r = rows.length;
    const c = r === 0 ? 0 : rows[0]!.length;
    const m = Mat.zeros(r, c, dtype);
    for (let i = 0; i < r; i++) {
      const row = rows[i]!;
      if (row.length !== c)
        throw new RangeError(`row ${i} has ${row.length} entries, expected ${c}`);
      for (let j = 0; j < c; j++) m.data[i * c + j] = row[j]!;
    }
    return m;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get size(): number {
    return this.rows * this.cols;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  /** A deep copy, optionally converted to another dtype. */
  clone(dtype: DType = this.dtype): Mat {
    const out = Mat.zeros(this.rows, this.cols, dtype);
    out.data.set(this.data.subarray(0, this.size));
    return out;
  }

  copyFrom(other: Mat): void {
    if (other.rows !== this.rows || other.cols !== this.cols) {
      throw new RangeError(
        `copyFrom: shape ${other.rows}x${other.cols} into ${this.rows}x${this.cols}`,
      );
    }
    this.data.set(other.data.subarray(0, other.size));
  }

  fill(value: number): this {
    this.data.fill(value, 0, this.size);
    return this;
  }

  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    }
    return out;
  }
}

import { describe, expect, it } from "vitest";
import { householderQr } from "../../core/linalg/qr.ts";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { jacobiSvd } from "../../theory/jacobian/jacobi-svd.ts";
import { inspectWeights, topSingularValues } from "./inspect.ts";
import { readSafetensors, SafetensorsError, writeSafetensors } from "./safetensors.ts";

function gaussian(n: number, std: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => std * rng.normal());
}

/** A [m, n] matrix U diag(s) V^T with Haar-like orthogonal U, V and the given spectrum. */
function withSpectrum(m: number, n: number, s: readonly number[], seed: number): Float64Array {
  const u = householderQr(new Mat(m, s.length, gaussian(m * s.length, 1, seed))).q;
  const v = householderQr(new Mat(n, s.length, gaussian(n * s.length, 1, seed + 1))).q;
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let k = 0; k < s.length; k++)
        x += u.data[i * s.length + k]! * s[k]! * v.data[j * s.length + k]!;
      a[i * n + j] = x;
    }
  }
  return a;
}

describe("safetensors", () => {
  it("round-trips float64 and float32 tensors bit for bit, with metadata and skipped dtypes", () => {
    const w = gaussian(12, 0.3, 1);
    const bytes = writeSafetensors([
      { name: "l1.weight", shape: [3, 4], data: w },
      { name: "l1.bias", shape: [3], data: [0.5, -1, 2], dtype: "F32" },
    ]);
    const r = readSafetensors(bytes);
    expect(r.tensors.map((t) => t.name)).toEqual(["l1.weight", "l1.bias"]);
    expect([...r.tensors[0]!.data]).toEqual([...w]);
    expect([...r.tensors[1]!.data]).toEqual([0.5, -1, 2]);
    expect(r.tensors[1]!.dtype).toBe("F32");
  });

  it("decodes float16 and bfloat16 (1, -2, 65504, 2^-24; bf16 1 and -3.140625)", () => {
    const json = JSON.stringify({
      h: { dtype: "F16", shape: [4], data_offsets: [0, 8] },
      b: { dtype: "BF16", shape: [2], data_offsets: [8, 12] },
      i: { dtype: "I64", shape: [1], data_offsets: [12, 20] },
      __metadata__: { format: "pt" },
    });
    const head = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + head.length + 20);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    const d = 8 + head.length;
    [0x3c00, 0xc000, 0x7bff, 0x0001].forEach((v, i) => {
      view.setUint16(d + 2 * i, v, true);
    });
    [0x3f80, 0xc049].forEach((v, i) => {
      view.setUint16(d + 8 + 2 * i, v, true);
    });
    const r = readSafetensors(bytes);
    expect([...r.tensors[0]!.data]).toEqual([1, -2, 65504, 2 ** -24]);
    expect([...r.tensors[1]!.data]).toEqual([1, -3.140625]);
    expect(r.skipped).toEqual([{ name: "i", dtype: "I64" }]);
    expect(r.metadata).toEqual({ format: "pt" });
  });

  it("refuses truncated and malformed files with one clear line", () => {
    const good = writeSafetensors([{ name: "w", shape: [2, 2], data: [1, 2, 3, 4] }]);
    const expectError = (bytes: Uint8Array, message: RegExp) => {
      expect(() => readSafetensors(bytes)).toThrow(SafetensorsError);
      try {
        readSafetensors(bytes);
      } catch (err) {
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).not.toMatch(/\n/);
      }
    };
    expectError(good.slice(0, 5), /too short/);
    expectError(good.slice(0, 20), /truncated: the header needs/);
    expectError(good.slice(0, good.length - 3), /truncated: tensor 'w' ends at byte 32/);
    expectError(
      new TextEncoder().encode("hello, world, not safetensors"),
      /not a safetensors file/,
    );
    const badJson = new Uint8Array(16);
    new DataView(badJson.buffer).setBigUint64(0, 8n, true);
    badJson.set(new TextEncoder().encode("{oops   "), 8);
    expectError(badJson, /header is not JSON/);
  });
});

describe("inspectWeights", () => {
  it("reads sigma_w^2 = fan_in Var(W), and chi1 = sigma_w^2 / 2 for ReLU without bias", () => {
    // He init: Var(W) = 2 / fan_in. 256 x 512 entries: sigma_w^2 within 3 standard errors of 2
    const w = gaussian(256 * 512, Math.sqrt(2 / 512), 7);
    const r = inspectWeights(
      [
        { name: "a.weight", dtype: "F64", shape: [256, 512], data: w },
        { name: "a.bias", dtype: "F64", shape: [256], data: new Float64Array(256) },
      ],
      "relu",
    );
    const l = r.layers[0]!;
    expect(l.fanIn).toBe(512);
    expect(Math.abs(l.weightVar - 2)).toBeLessThan(3 * 2 * Math.sqrt(2 / (256 * 512)));
    expect(l.biasVar).toBe(0);
    expect(l.chi1).toBeCloseTo(l.weightVar / 2, 10);
    expect(r.other).toEqual(["a.bias"]);
    // rescaled to a variance of exactly 2 / fan_in: chi1 = 1, the edge of chaos
    const mean = w.reduce((x, y) => x + y, 0) / w.length;
    const sd = Math.sqrt(w.reduce((x, y) => x + (y - mean) ** 2, 0) / w.length);
    const exact = w.map((v) => ((v - mean) / sd) * Math.sqrt(2 / 512));
    const e = inspectWeights(
      [{ name: "a.weight", dtype: "F64", shape: [256, 512], data: exact }],
      "relu",
    ).layers[0]!;
    expect(e.weightVar).toBeCloseTo(2, 12);
    expect(e.chi1).toBeCloseTo(1, 12);
    expect(e.phase).toBe("critical");
  });

  it("takes a convolution's fan_in as in * kh * kw", () => {
    const w = gaussian(8 * 3 * 3 * 3, 0.1, 3);
    const l = inspectWeights(
      [{ name: "conv.weight", dtype: "F32", shape: [8, 3, 3, 3], data: w }],
      "tanh",
    ).layers[0]!;
    expect(l.fanIn).toBe(27);
    expect(l.fanOut).toBe(8);
  });

  it("finds a known spectrum exactly (Jacobi) and by subspace iteration on a large matrix", () => {
    const s = [5, 3, 2, 1, 0.5, 0.25];
    const small = withSpectrum(40, 30, s, 11);
    for (const [i, v] of topSingularValues(40, 30, small, 3).entries()) {
      expect(v).toBeCloseTo(s[i]!, 12);
    }
    // 400 x 300 is past the exact limit: subspace iteration with k + 4 vectors
    const large = withSpectrum(
      400,
      300,
      [...s, ...Array.from({ length: 20 }, (_, i) => 0.1 / (i + 1))],
      13,
    );
    const top = topSingularValues(400, 300, large, 3);
    for (const [i, v] of top.entries()) expect(Math.abs(v / s[i]! - 1)).toBeLessThan(1e-10);
    // and on a random matrix it agrees with the full Jacobi SVD
    const g = gaussian(300 * 280, 1, 17);
    const exact = jacobiSvd(new Mat(300, 280, Float64Array.from(g))).S;
    const fast = topSingularValues(300, 280, g, 1);
    expect(Math.abs(fast[0]! / exact[0]! - 1)).toBeLessThan(1e-3);
  });

  it("stable rank: n for an orthogonal matrix, 1 for a rank-one matrix", () => {
    const q = householderQr(new Mat(20, 20, gaussian(400, 1, 5))).q.data as Float64Array;
    const u = gaussian(20, 1, 6);
    const rank1 = Float64Array.from({ length: 400 }, (_, i) => u[Math.floor(i / 20)]! * u[i % 20]!);
    const r = inspectWeights(
      [
        { name: "q.weight", dtype: "F64", shape: [20, 20], data: q },
        { name: "r.weight", dtype: "F64", shape: [20, 20], data: rank1 },
      ],
      "tanh",
    );
    expect(r.layers[0]!.stableRank).toBeCloseTo(20, 10);
    expect(r.layers[1]!.stableRank).toBeCloseTo(1, 10);
    expect(r.predictedSpan).toBe(r.layers[1]!.chi1);
  });
});

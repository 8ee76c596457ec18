import { describe, expect, it } from "vitest";
import { matrixPowers, ratioToNumber } from "./exact-power.ts";
import { matrixPowerDemo } from "./matrix-power.ts";

/** The exact value of a double as mantissa * 2^exponent (BigInt mantissa). */
function exactBinary(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return { mantissa: biased === 0 ? fraction : fraction | (1n << 52n), exponent: biased - 1075 };
}

describe("matrixPowerDemo", () => {
  it("diag(2, 2) for 5 layers: W^5 = diag(32, 32), rho = 2, exploding", () => {
    const d = matrixPowerDemo(
      [
        [2, 0],
        [0, 2],
      ],
      5,
    );
    expect(d.final).toEqual([
      [32, 0],
      [0, 32],
    ]);
    expect(d.steps.map((s) => s.spectralNorm)).toEqual([2, 4, 8, 16, 32]);
    expect(d.steps.map((s) => s.predicted)).toEqual([2, 4, 8, 16, 32]);
    expect(d.steps[4]!.frobeniusNorm).toBe(32 * Math.SQRT2);
    expect(d.spectralRadius).toBe(2);
    expect(d.perLayerFactor).toBe(2);
    expect(d.effectiveFactor).toBe(2);
    expect(d.growth).toBe("exploding");
    expect(d.arithmetic).toBe("exact-decimal");
  });

  it("diag(0.1, 0.1) for 5 layers: W^5 = diag(1e-5, 1e-5) exactly, vanishing", () => {
    const d = matrixPowerDemo(
      [
        [0.1, 0],
        [0, 0.1],
      ],
      5,
    );
    // 0.1 is read as the decimal it prints as, so 0.1^5 is the double nearest to 1e-5
    // (repeated float64 products would give 1.0000000000000004e-5).
    expect(d.final[0]![0]).toBe(1e-5);
    expect(d.final[1]![1]).toBe(1e-5);
    expect(d.final[0]![1]).toBe(0);
    expect(d.steps.map((s) => s.matrix[0]![0])).toEqual([0.1, 0.01, 0.001, 0.0001, 1e-5]);
    expect(Math.abs(d.spectralRadius - 0.1)).toBeLessThan(1e-17);
    expect(d.growth).toBe("vanishing");
    expect(d.message).toMatch(/vanishing/);
  });

  it("a rotation keeps every power at norm 1", () => {
    const t = 0.9;
    const d = matrixPowerDemo(
      [
        [Math.cos(t), -Math.sin(t)],
        [Math.sin(t), Math.cos(t)],
      ],
      40,
    );
    expect(Math.abs(d.spectralRadius - 1)).toBeLessThan(1e-15);
    expect(d.growth).toBe("marginal");
    for (const s of d.steps) expect(Math.abs(s.spectralNorm - 1)).toBeLessThan(1e-13);
    expect(d.message).toMatch(/neither explodes nor vanishes/);
  });

  it("the Jordan block [[1, 1], [0, 1]] has rho = 1 but grows linearly", () => {
    const d = matrixPowerDemo(
      [
        [1, 1],
        [0, 1],
      ],
      10,
    );
    expect(d.spectralRadius).toBe(1);
    expect(d.final).toEqual([
      [1, 10],
      [0, 1],
    ]);
    // ||[[1, k], [0, 1]]||_2 = (k + sqrt(k^2 + 4)) / 2.
    d.steps.forEach((s) => {
      const k = s.power;
      expect(s.spectralNorm).toBeCloseTo((k + Math.sqrt(k * k + 4)) / 2, 13);
    });
    expect(d.growth).toBe("marginal");
    expect(d.message).toMatch(/polynomially/);
  });

  it("predicts ||W^n|| ~ rho^n for a non-normal matrix (Gelfand)", () => {
    const d = matrixPowerDemo(
      [
        [0.5, 2],
        [-0.3, 0.9],
      ],
      200,
    );
    // Complex pair: lambda = 0.7 +- i sqrt(0.56); rho^2 = det = 1.05.
    expect(d.spectralRadius).toBeCloseTo(Math.sqrt(1.05), 14);
    expect(Math.abs(d.effectiveFactor / d.spectralRadius - 1)).toBeLessThan(0.02);
    const ratios = d.steps.map((s) => s.normOverPredicted);
    expect(Math.max(...ratios) / Math.min(...ratios)).toBeLessThan(10);
  });

  it("rejects non-square, empty and non-finite matrices and bad layer counts", () => {
    expect(() => matrixPowerDemo([[1, 2]], 3)).toThrow(/square/);
    expect(() => matrixPowerDemo([], 3)).toThrow(/empty/);
    expect(() => matrixPowerDemo([[Number.NaN]], 3)).toThrow(/finite/);
    expect(() => matrixPowerDemo([[1]], 0)).toThrow(/layers/);
    expect(() => matrixPowerDemo([[1]], 1.5)).toThrow(/layers/);
  });
});

describe("matrixPowers", () => {
  it("rounds each entry once: exact rational arithmetic checked with BigInt", () => {
    const W = [
      [0.3, -0.7],
      [1.25, 0.05],
    ];
    const { powers, arithmetic } = matrixPowers(W, 30);
    expect(arithmetic).toBe("exact-decimal");
    // Reference: W = M / 100 with integer M, so W^k = M^k / 100^k.
    let P = [
      [30n, -70n],
      [125n, 5n],
    ];
    const M = P;
    for (let k = 1; k <= 30; k++) {
      if (k > 1) P = P.map((row) => [0, 1].map((j) => row[0]! * M[0]![j]! + row[1]! * M[1]![j]!));
      const den = 100n ** BigInt(k);
      const expected = P.map((row) => row.map((v) => Number(v) / Number(den)));
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          const v = powers[k - 1]![i]![j]!;
          expect(Math.abs(v - expected[i]![j]!)).toBeLessThanOrEqual(
            4 * Number.EPSILON * Math.abs(v),
          );
          expect(v).toBe(ratioToNumber(P[i]![j]!, den));
        }
      }
    }
  });

  it("falls back to double-double for large powers, still correctly rounded in the binary input", () => {
    const x = 0.1;
    const { powers, arithmetic } = matrixPowers(
      [
        [1 / 3, 0],
        [0, x],
      ],
      400,
    );
    expect(arithmetic).toBe("double-double");
    // Exact reference: (binary x)^k rounded once, by BigInt.
    const { mantissa, exponent } = exactBinary(x);
    for (const k of [5, 50, 300]) {
      const num = mantissa ** BigInt(k);
      const e = exponent * k; // negative
      expect(powers[k - 1]![1]![1]).toBe(ratioToNumber(num, 1n << BigInt(-e)));
    }
  });

  it("ratioToNumber rounds to nearest, ties to even", () => {
    expect(ratioToNumber(1n, 3n)).toBe(1 / 3);
    expect(ratioToNumber(-2n, 3n)).toBe(-2 / 3);
    expect(ratioToNumber(10n ** 400n, 10n ** 399n)).toBe(10);
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even mantissa wins.
    expect(ratioToNumber(2n ** 53n + 1n, 1n)).toBe(2 ** 53);
    expect(ratioToNumber(2n ** 53n + 3n, 1n)).toBe(2 ** 53 + 4);
  });
});

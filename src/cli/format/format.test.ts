import { describe, expect, it } from "vitest";
import { logBars, logSparkline } from "./bars.ts";
import { formatMetric, formatPercent } from "./numbers.ts";
import { renderTable } from "./table.ts";

describe("formatting", () => {
  it("formats metrics compactly", () => {
    expect(formatMetric(0)).toBe("0");
    expect(formatMetric(1.23456)).toBe("1.23");
    expect(formatMetric(1.5e-7)).toBe("1.50e-7");
    expect(formatMetric(123456)).toBe("1.23e+5");
    expect(formatMetric(Number.NaN)).toBe("NaN");
    expect(formatMetric(Number.POSITIVE_INFINITY)).toBe("Inf");
    expect(formatPercent(0.1234)).toBe("12.3%");
  });
  it("sparkline spans log decades and marks zeros and non-finite values", () => {
    expect(logSparkline([1e-8, 1e-4, 1])).toBe("▁▅█");
    expect(logSparkline([0, 1, Number.NaN])).toBe("_█!");
  });
  it("bars grow with log10 of the value", () => {
    const bars = logBars([1e-6, 1e-3, 1], 10);
    expect(bars.map((b) => b.length)).toEqual([1, 5, 10]);
    expect(logBars([0, 1])[0]).toBe("(zero)");
  });
  it("renders aligned tables", () => {
    const t = renderTable(
      [{ header: "a" }, { header: "name", align: "left" }],
      [
        ["1", "x"],
        ["22", "yy"],
      ],
    );
    expect(t.split("\n")).toEqual([" a  name", "--  ----", " 1  x", "22  yy"]);
  });
});

import { describe, expect, it } from "vitest";
import { formatRanges, readDiagnosis, renderDiagnosis, severityClass } from "./diagnosis.ts";
import { escapeHtml, inlineSvg } from "./escape.ts";

describe("diagnosis section", () => {
  it("formats layer and step lists as ranges, strided runs included", () => {
    expect(formatRanges([9, 1, 2, 3, 5, 7, 8])).toBe("1–3, 5, 7–9");
    expect(formatRanges([1, 10, 20, 30, 40, 50])).toBe("1, 10–50 every 10");
    expect(formatRanges([2, 4])).toBe("2, 4");
    expect(formatRanges([])).toBe("");
  });

  it("maps severities to classes", () => {
    expect(severityClass("critical")).toBe("bad");
    expect(severityClass("warning")).toBe("warn");
    expect(severityClass("info")).toBe("info");
    expect(severityClass("healthy")).toBe("good");
  });

  it("reads a diagnosis defensively: wrong types are skipped, never fatal", () => {
    expect(readDiagnosis({})).toBeNull();
    expect(readDiagnosis({ diagnosis: "oops" })).toBeNull();
    const d = readDiagnosis({
      diagnosis: {
        headline: "h",
        healthy: false,
        findings: [
          null,
          {
            title: 42,
            layers: "x",
            evidence: [{ label: "a", value: "n/a" }, 7],
            remedies: ["plain"],
          },
        ],
      },
    });
    expect(d?.findings).toHaveLength(1);
    const f = d!.findings[0]!;
    expect(f.title).toBe("42");
    expect(f.layers).toEqual([]);
    expect(f.evidence).toEqual([{ label: "a", value: "n/a" }]);
    expect(f.remedies).toEqual([{ label: "plain" }]);
    const html = renderDiagnosis(d!);
    expect(html).toContain('<li class="bad">h</li>');
    expect(renderDiagnosis({ findings: [] })).toContain("found nothing wrong");
  });

  it("escapes text and strips Plot's page-wide styles from inlined SVG", () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    expect(
      inlineSvg(
        '<?xml version="1.0"?>\n<svg><svg class="p"><style>:where(.p){height:auto}</style><g/></svg></svg>',
      ),
    ).toBe('<svg><svg class="p"><g/></svg></svg>');
  });
});

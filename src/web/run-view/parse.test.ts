import { describe, expect, it } from "vitest";
import { classifyFiles } from "./files.ts";
import { LineSplitter, parseRecordLine, RecordError } from "./parse.ts";

describe("run-view parsing", () => {
  it("cuts streamed text into lines across chunk borders", () => {
    const s = new LineSplitter();
    expect(s.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(":2}\n\n{")).toEqual(['{"b":2}', ""]);
    expect(s.push('"c":3')).toEqual([]);
    expect(s.end()).toBe('{"c":3');
    expect(s.end()).toBeNull();
  });

  it("reads NaN and Infinity written as strings, null loss as not recorded", () => {
    const r = parseRecordLine(
      '{"step":3,"loss":"NaN","gradNorm":"Infinity","layers":[{"layer":1,"gradWeightNorm":"-Infinity"}]}',
    );
    expect(r.step).toBe(3);
    expect(r.loss).toBeNaN();
    expect(r.gradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(r.layers[0]!.gradWeightNorm).toBe(Number.NEGATIVE_INFINITY);
    expect(parseRecordLine('{"step":1,"loss":null,"layers":[]}').loss).toBeNull();
  });

  it("rejects lines that are not records, with the reason", () => {
    expect(() => parseRecordLine("{")).toThrow(RecordError);
    expect(() => parseRecordLine("[1]")).toThrow("not a JSON object");
    expect(() => parseRecordLine('{"loss":1,"layers":[]}')).toThrow("no numeric 'step'");
    expect(() => parseRecordLine('{"step":1,"loss":1}')).toThrow("no 'layers' array");
    expect(() => parseRecordLine('{"step":1,"loss":"x","layers":[]}')).toThrow("'loss'");
  });

  it("tells dropped files apart by name", () => {
    const f = (name: string) => ({ name });
    const c = classifyFiles([f("summary.json"), f("config.json"), f("metrics.jsonl"), f("x.png")]);
    expect(c.metrics?.name).toBe("metrics.jsonl");
    expect(c.config?.name).toBe("config.json");
    expect(c.summary?.name).toBe("summary.json");
    expect(c.ignored.map((x) => x.name)).toEqual(["x.png"]);
    expect(classifyFiles([f("run-7.ndjson")]).metrics?.name).toBe("run-7.ndjson");
    expect(classifyFiles([f("config.json")]).metrics).toBeNull();
  });
});

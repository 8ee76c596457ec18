import { describe, expect, it } from "vitest";
import { decodeEvent, encodeEvent } from "./events.ts";
import { fromBucketRows, interpretValue, tensorValues } from "./values.ts";

function float64Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setFloat64(i * 8, x, true);
  return b;
}

const roundTrip = (e: Parameters<typeof encodeEvent>[0]) => decodeEvent(encodeEvent(e));

describe("Event / Summary decoding", () => {
  it("decodes wall time, step, file version and a TF1 scalar", () => {
    expect(roundTrip({ wallTime: 1.5, fileVersion: "brain.Event:2" })).toEqual({
      wallTime: 1.5,
      fileVersion: "brain.Event:2",
    });
    const e = roundTrip({
      wallTime: 2,
      step: 7,
      summary: { value: [{ tag: "loss", simpleValue: 0.25 }] },
    });
    expect(e.step).toBe(7);
    expect(interpretValue(e.summary!.value![0]!, new Map())).toEqual({
      tag: "loss",
      kind: "scalar",
      value: 0.25,
    });
  });

  it("decodes a TF1 histogram with its exact sums", () => {
    const e = roundTrip({
      step: 3,
      summary: {
        value: [
          {
            tag: "grad/fc.weight",
            histo: {
              min: -1,
              max: 2,
              num: 3,
              sum: 1,
              sumSquares: 6,
              bucketLimit: [0, 1, 2],
              bucket: [1, 1, 1],
            },
          },
        ],
      },
    });
    const v = interpretValue(e.summary!.value![0]!, new Map());
    expect(v).toEqual({
      tag: "grad/fc.weight",
      kind: "histogram",
      histogram: {
        min: -1,
        max: 2,
        num: 3,
        sum: 1,
        sumSquares: 6,
        limits: [0, 1, 2],
        counts: [1, 1, 1],
        exact: true,
      },
    });
  });

  it("reads TF2 tensor summaries: a scalar tensor, and [k, 3] histograms whose plugin is named only once", () => {
    const plugins = new Map<string, string>();
    const scalar = roundTrip({
      step: 1,
      summary: {
        value: [
          {
            tag: "epoch_loss",
            metadata: { pluginData: { pluginName: "scalars" } },
            tensor: { dtype: 1, tensorShape: {}, floatVal: [0.5] },
          },
        ],
      },
    });
    expect(interpretValue(scalar.summary!.value![0]!, plugins)).toEqual({
      tag: "epoch_loss",
      kind: "scalar",
      value: 0.5,
    });
    const rows = [-1, 0, 2, 0, 1, 2]; // two buckets of two entries each
    const hist = (withMetadata: boolean) =>
      roundTrip({
        step: 2,
        summary: {
          value: [
            {
              tag: "gradients/dense/kernel",
              ...(withMetadata ? { metadata: { pluginData: { pluginName: "histograms" } } } : {}),
              tensor: {
                dtype: 2,
                tensorShape: { dim: [{ size: 2 }, { size: 3 }] },
                tensorContent: float64Bytes(rows),
              },
            },
          ],
        },
      }).summary!.value![0]!;
    const first = interpretValue(hist(true), plugins);
    const later = interpretValue(hist(false), plugins); // TF2 writes the metadata on the first value only
    expect(later).toEqual(first);
    expect(first.kind).toBe("histogram");
    if (first.kind !== "histogram") return;
    // entries spread evenly over [-1, 0] and [0, 1]: E[x^2] = 1/3 in each
    expect(first.histogram).toMatchObject({
      min: -1,
      max: 1,
      num: 4,
      sum: 0,
      limits: [0, 1],
      counts: [2, 2],
      exact: false,
    });
    expect(first.histogram.sumSquares).toBeCloseTo(4 / 3, 12);
  });

  it("reads tensor values from tensor_content and the typed fields", () => {
    expect(tensorValues({ dtype: 2, tensorContent: float64Bytes([1.5, -2]) })).toEqual([1.5, -2]);
    expect(tensorValues({ dtype: 2, doubleVal: [3] })).toEqual([3]);
    expect(tensorValues({ dtype: 3, intVal: [4] })).toEqual([4]);
    expect(tensorValues({ dtype: 7 })).toBeNull(); // DT_STRING
  });

  it("keeps a zero-width bucket (constant data) exact", () => {
    const h = fromBucketRows([2, 2, 5]);
    expect(h).toMatchObject({ num: 5, sum: 10, sumSquares: 20, min: 2, max: 2 });
  });

  it("leaves images, text and malformed histograms as 'other' with a reason", () => {
    const plugins = new Map([["img", "images"]]);
    expect(interpretValue({ tag: "img", tensor: { dtype: 7 } }, plugins).kind).toBe("other");
    const bad = interpretValue(
      {
        tag: "h",
        metadata: { pluginData: { pluginName: "histograms" } },
        tensor: { dtype: 2, tensorShape: { dim: [{ size: 3 }] }, doubleVal: [1, 2, 3] },
      },
      new Map(),
    );
    expect(bad).toEqual({
      tag: "h",
      kind: "other",
      why: "a histogram tensor of shape [3] (expected [k, 3])",
    });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OptionSpec } from "../../src/experiment/options.ts";
import { LAB_FIELDS, type LabInput, validateLabInput } from "../../src/web/lab-options.ts";
import {
  decodeState,
  defaultPageState,
  encodeState,
  MAX_MATRIX_SIZE,
  MAX_POWER_LAYERS,
  type PageState,
  VIEWS,
} from "../../src/web/url-state.ts";

/** Runs per property (the counts docs/RELIABILITY.md reports). */
const URL_RUNS = { labRoundTrip: 300, storyRoundTrip: 200, garbage: 300, garbagePairs: 300 };
const SEED = 20261129;

function typedValue(spec: OptionSpec): fc.Arbitrary<string | number | boolean> {
  switch (spec.kind) {
    case "boolean":
      return fc.boolean();
    case "choice":
      return fc.constantFrom(...spec.choices);
    case "string":
      return fc.string({ minLength: 1 }).filter((s) => s.trim() !== "");
    case "int":
      return fc.integer({ min: spec.min, max: Math.min(spec.max, 2 ** 31 - 1) });
    case "number":
      return fc
        .double({ min: spec.min, max: spec.max, noNaN: true, noDefaultInfinity: true })
        .map((v) => (Object.is(v, -0) ? 0 : v));
  }
}

/** A lab input the lab accepts (per-field valid values, conflicting combinations dropped). */
const labInput: fc.Arbitrary<LabInput> = fc
  .record(
    Object.fromEntries(LAB_FIELDS.map((f) => [f.spec.key, typedValue(f.spec)])) as Record<
      string,
      fc.Arbitrary<string | number | boolean>
    >,
    { requiredKeys: [] },
  )
  .map((raw) => {
    const r: Record<string, unknown> = { ...raw };
    if (r.batchNorm === true && r.layerNorm === true) delete r.layerNorm;
    if (r.batchNorm === true && typeof r.batch === "number" && r.batch < 2) delete r.batchNorm;
    if (r.clip !== undefined && r.clip !== "none" && r.clipThreshold === 0) delete r.clipThreshold;
    const { input, errors } = validateLabInput(r);
    expect([...errors]).toEqual([]);
    return input;
  });

const finite = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .map((v) => (Object.is(v, -0) ? 0 : v));
const matrix = fc
  .integer({ min: 1, max: MAX_MATRIX_SIZE })
  .chain((n) =>
    fc.array(fc.array(finite, { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
  );

function oneLineUnlessValueBreaks(message: string, value: string | undefined): void {
  expect(message.length).toBeGreaterThan(0);
  if (value === undefined || !/[\r\n\u2028\u2029]/.test(value)) {
    expect(message).not.toMatch(/[\r\n]/);
  }
}

describe("property: the lab's URL codec", () => {
  it("lab and compare states round-trip: decode(encode(state)) is the state, with no errors", () => {
    fc.assert(
      fc.property(labInput, labInput, fc.constantFrom("lab", "compare"), (a, b, view) => {
        const state: PageState = { ...defaultPageState(), view: view as PageState["view"] };
        state.input = a;
        state.compare = view === "compare" ? b : { ...a };
        const hash = encodeState(state);
        const back = decodeState(hash);
        expect([...back.errors]).toEqual([]);
        expect(back.state.view).toBe(view);
        expect(back.state.input).toEqual(a);
        expect(back.state.compare).toEqual(state.compare);
        expect(encodeState(back.state)).toBe(hash);
      }),
      { numRuns: URL_RUNS.labRoundTrip, seed: SEED },
    );
  });

  it("story states (matrix, activation, deep) round-trip", () => {
    const fnChoices = LAB_FIELDS.find((f) => f.spec.key === "activation")!.spec;
    const fns = fnChoices.kind === "choice" ? fnChoices.choices : [];
    fc.assert(
      fc.property(
        fc.constantFrom("matrix", "activation", "deep"),
        matrix,
        fc.integer({ min: 1, max: MAX_POWER_LAYERS }),
        fc.constantFrom(...fns),
        (view, m, layers, fn) => {
          const state: PageState = { ...defaultPageState(), view: view as PageState["view"] };
          if (view === "matrix") {
            state.matrix = m;
            state.layers = layers;
          } else if (view === "deep") state.layers = layers;
          else state.fn = fn;
          const back = decodeState(encodeState(state));
          expect([...back.errors]).toEqual([]);
          expect(back.state).toEqual(state);
        },
      ),
      { numRuns: URL_RUNS.storyRoundTrip, seed: SEED },
    );
  });

  it("random garbage hashes never throw; every problem is a message naming its key", () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.string({ unit: "binary" }).map((s) => `#${s}`),
      fc.string().map((s) => encodeURIComponent(s)),
    );
    fc.assert(
      fc.property(text, (hash) => {
        const { state, errors, rejected } = decodeState(hash);
        expect((VIEWS as readonly string[]).includes(state.view)).toBe(true);
        for (const [key, message] of errors) {
          oneLineUnlessValueBreaks(message, rejected.get(key) ?? hash);
          if (key !== "") expect(message).toContain(key.replace(/^b\./, ""));
        }
        // whatever was decoded is a valid lab input again
        expect([...validateLabInput(state.input).errors]).toEqual([]);
      }),
      { numRuns: URL_RUNS.garbage, seed: SEED },
    );
  });

  it("known keys with garbage values give per-key errors and keep the defaults", () => {
    const keys = [...LAB_FIELDS.map((f) => f.spec.key), "view", "matrix", "layers", "fn", "b"];
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.double().map(String),
      fc.constantFrom("NaN", "Infinity", "-1", "1e999", "", "true", "1;2", "0x10"),
    );
    const pairs = fc.array(fc.tuple(fc.constantFrom(...keys), value), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(pairs, (kv) => {
        const hash = `#${new URLSearchParams(kv).toString()}`;
        const { state, errors, rejected } = decodeState(hash);
        for (const [key, message] of errors) {
          oneLineUnlessValueBreaks(message, rejected.get(key) ?? hash);
          if (key !== "") expect(message).toContain(key.replace(/^b\./, ""));
        }
        expect([...validateLabInput(state.input).errors]).toEqual([]);
        expect([...validateLabInput(state.compare).errors]).toEqual([]);
        // a rejected value is reported, not silently dropped
        for (const key of rejected.keys()) expect(errors.has(key)).toBe(true);
      }),
      { numRuns: URL_RUNS.garbagePairs, seed: SEED },
    );
  });
});

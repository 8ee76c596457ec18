import { describe, expect, it } from "vitest";
import { validateLabInput } from "./lab-options.ts";
import {
  decodeState,
  defaultPageState,
  encodeState,
  MAX_MATRIX_SIZE,
  parseMatrix,
} from "./url-state.ts";

describe("URL state", () => {
  it("round-trips a lab configuration exactly", () => {
    const state = defaultPageState();
    state.input = validateLabInput({
      depth: "50",
      width: "64",
      activation: "leaky-relu",
      slope: "0.2",
      weightVar: "1.7320508075688772",
      lr: "0.003",
      seed: "4294967295",
      residual: true,
    }).input;
    const hash = encodeState(state);
    expect(hash).toMatch(/^#view=lab&depth=50&width=64&activation=leaky-relu&slope=0.2/);
    const back = decodeState(hash);
    expect(back.errors.size).toBe(0);
    expect(back.state.input).toEqual(state.input);
    expect(back.state.input.weightVar).toBe(1.7320508075688772);
  });

  it("leaves out options that do not apply and are at their default", () => {
    const hash = encodeState(defaultPageState());
    expect(hash).not.toContain("slope=");
    expect(hash).not.toContain("branchScale=");
    expect(hash).not.toContain("lr=");
    expect(hash).toContain("seed=0");
  });

  it("explains every bad value by key and keeps the rejected text", () => {
    const { state, errors, rejected } = decodeState(
      "#view=lab&depth=500&activation=softmax&seed=-1",
    );
    expect(errors.get("depth")).toBe("depth must be between 1 and 100 (got '500')");
    expect(errors.get("activation")).toMatch(/^activation must be one of/);
    expect(errors.get("seed")).toBe("seed must be between 0 and 4294967295 (got '-1')");
    expect(rejected.get("depth")).toBe("500");
    expect(state.input.depth).toBe(20);
  });

  it("reports unknown keys and views", () => {
    const { errors, state } = decodeState("#view=nowhere&foo=1");
    expect(errors.get("view")).toMatch(/^view must be one of: lab, matrix/);
    expect(errors.get("")).toMatch(/^unknown option 'foo'/);
    expect(state.view).toBe("lab");
  });

  it("never throws on junk", () => {
    for (const junk of ["", "#", "#%%%", "#=&=&", "#view", "#depth=%E0%A4%A", "#b=%ZZ"]) {
      expect(() => decodeState(junk)).not.toThrow();
    }
  });

  it("round-trips the comparison (A and B)", () => {
    const state = defaultPageState();
    state.view = "compare";
    state.input = validateLabInput({ activation: "sigmoid", depth: "30" }).input;
    state.compare = validateLabInput({ activation: "relu", init: "he-normal", depth: "30" }).input;
    const back = decodeState(encodeState(state));
    expect(back.errors.size).toBe(0);
    expect(back.state.view).toBe("compare");
    expect(back.state.input).toEqual(state.input);
    expect(back.state.compare).toEqual(state.compare);
    expect(decodeState("#view=compare&b=depth%3D0").errors.get("b.depth")).toMatch(
      /^depth must be between 1 and 100/,
    );
  });

  it("round-trips the stories", () => {
    const state = defaultPageState();
    state.view = "matrix";
    state.matrix = [
      [1.1, 0.25],
      [-3, 1e-7],
    ];
    state.layers = 40;
    const back = decodeState(encodeState(state));
    expect(back.state.matrix).toEqual(state.matrix);
    expect(back.state.layers).toBe(40);
    expect(decodeState("#view=activation&fn=gelu").state.fn).toBe("gelu");
    expect(decodeState("#view=deep&layers=0").errors.get("layers")).toMatch(/between 1 and 200/);
  });

  it("parses matrices with clear errors", () => {
    expect(parseMatrix("1 2\n3 4")).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseMatrix("1,2;3,4")).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(() => parseMatrix("1 2\n3")).toThrow(
      "the matrix must be square: row 2 has 1 entry, expected 2",
    );
    expect(() => parseMatrix("1 x\n3 4")).toThrow("entry (1, 2) is not a number (got 'x')");
    expect(() => parseMatrix("")).toThrow("the matrix is empty");
    const big = Array.from({ length: MAX_MATRIX_SIZE + 1 }, () => "1").join(";");
    expect(() => parseMatrix(big)).toThrow(/at most 8 rows/);
  });

  it("keeps the fn, layers and view messages on one line whatever the link holds", () => {
    const { errors } = decodeState(`#view=a%0Ab&layers=3%0A4&fn=tan%0Ah%E2%80%A8x&matrix=1%01%202`);
    expect(errors.get("view")).toMatch(/\(got 'a\\u000ab'\)$/);
    expect(errors.get("layers")).toBe(
      "layers must be an integer between 1 and 200 (got '3\\u000a4')",
    );
    expect(errors.get("fn")).toBe("fn must be an activation name (got 'tan\\u000ah\\u2028x')");
    expect(errors.get("matrix")).toBe("matrix: entry (1, 1) is not a number (got '1\\u0001')");
    for (const message of errors.values()) expect(message).not.toMatch(/[\n\r\u2028\u2029]/);
    const long = decodeState(`#fn=${"x".repeat(500)}`).errors.get("fn")!;
    expect(long).toBe(`fn must be an activation name (got '${"x".repeat(40)}…')`);
  });
});

import { describe, expect, it } from "vitest";
import { stackSvgs } from "./lab-figures.ts";
import { AxisMemory, decadeExtent, unionDecades, withMinSpan } from "./scales.ts";
import { decodeState, defaultPageState, encodeState } from "./url-state.ts";

describe("axes that hold still", () => {
  it("cover whole decades of the positive finite values", () => {
    expect(decadeExtent([0.03, 40, Number.NaN, 0, -1, Number.POSITIVE_INFINITY])).toEqual([-2, 2]);
    expect(decadeExtent([10, 100])).toEqual([1, 2]);
    expect(decadeExtent([5])).toEqual([0, 1]);
    expect(decadeExtent([Number.NaN, 0])).toBeNull();
  });

  it("span at least the minimum number of decades, about the centre", () => {
    expect(withMinSpan([0, 1], 3)).toEqual([-1, 2]);
    expect(withMinSpan([-5, 5], 3)).toEqual([-5, 5]);
    expect(unionDecades([0, 2], [-3, 1])).toEqual([-3, 2]);
    expect(unionDecades(null, [1, 2])).toEqual([1, 2]);
  });

  it("only widen over a visit, and forget on reset", () => {
    const axes = new AxisMemory(3);
    expect(axes.fit("y", [1, 5])).toEqual([0.1, 100]);
    // a deeper network: the axis widens to hold it
    expect(axes.fit("y", [1e-20, 5])).toEqual([1e-20, 100]);
    // back to the shallow one: the axis stays where it was
    expect(axes.fit("y", [1, 5])).toEqual([1e-20, 100]);
    // other axes are separate
    expect(axes.fit("x", [1e3])).toEqual([100, 1e5]);
    // NaN everywhere changes nothing
    expect(axes.fit("y", [Number.NaN])).toEqual([1e-20, 100]);
    axes.reset();
    expect(axes.generation).toBe(1);
    expect(axes.peek("y")).toBeNull();
    expect(axes.fit("y", [1, 5])).toEqual([0.1, 100]);
  });

  it("stacks panels into one SVG for narrow screens", () => {
    const a = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><g/></svg>';
    const b = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150"><g/></svg>';
    const out = stackSvgs([a, b], 300);
    expect(out).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="300" height="350"/);
    expect(out).toContain('<svg y="0" xmlns');
    expect(out).toContain('<svg y="200" xmlns');
  });
});

describe("URL state of pages 5 and 6", () => {
  it("round-trips the through-time page and the LayerNorm page", () => {
    const state = defaultPageState();
    state.view = "time";
    state.time = { cell: "rnn", phi: "relu", rho: 1.05, steps: 120 };
    const hash = encodeState(state);
    expect(hash).toBe("#view=time&cell=rnn&phi=relu&rho=1.05&T=120");
    const back = decodeState(hash);
    expect(back.errors.size).toBe(0);
    expect(back.state.time).toEqual(state.time);
    state.time = { cell: "gru", phi: "tanh", rho: 1, steps: 50 };
    expect(encodeState(state)).toBe("#view=time&cell=gru&rho=1&T=50");
    state.view = "norm";
    state.blocks = 24;
    expect(encodeState(state)).toBe("#view=norm&blocks=24");
    expect(decodeState("#view=norm&blocks=24").state.blocks).toBe(24);
  });

  it("explains bad values by key and keeps the defaults", () => {
    const { state, errors, rejected } = decodeState(
      "#view=time&cell=transformer&rho=9&T=5&phi=softmax",
    );
    expect(errors.get("cell")).toBe("cell must be one of: rnn, lstm, gru (got 'transformer')");
    expect(errors.get("rho")).toBe("rho must be a number between 0.5 and 1.5 (got '9')");
    expect(errors.get("T")).toBe("T must be an integer between 10 and 200 (got '5')");
    expect(errors.get("phi")).toMatch(/^phi must be one of: tanh/);
    expect(rejected.get("T")).toBe("5");
    expect(state.time).toEqual(defaultPageState().time);
    expect(decodeState("#view=norm&blocks=100").errors.get("blocks")).toBe(
      "blocks must be an integer between 4 and 48 (got '100')",
    );
    // the pages' keys are not lab options
    expect(decodeState("#view=time&T=50").errors.size).toBe(0);
  });
});

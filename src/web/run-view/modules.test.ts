import { describe, expect, it } from "vitest";
import { groupKey, groupModules, type ModuleInfo, moduleRows } from "./modules.ts";

const mods = (names: string[]): ModuleInfo[] =>
  names.map((name, index) => ({ index, layer: index + 1, name, type: null }));

describe("module groups and rows", () => {
  it("groups a path by its block: the first numbered segment after a name", () => {
    expect(groupKey("encoder.layers.0.self_attn.out_proj")).toBe("encoder.layers.0");
    expect(groupKey("encoder.layers.11.linear1")).toBe("encoder.layers.11");
    expect(groupKey("layer1.0.conv1")).toBe("layer1.0");
    expect(groupKey("net.0")).toBe("net");
    expect(groupKey("decoder.fc")).toBe("decoder");
    expect(groupKey("head")).toBe("head");
    expect(groupKey("layer 3")).toBe("layer 3");
  });

  it("makes groups of two or more in recorded order; a module alone stands as itself", () => {
    const m = mods([
      "embed",
      "encoder.layers.0.attn",
      "encoder.layers.0.ff",
      "encoder.layers.1.attn",
      "encoder.layers.1.ff",
      "head",
    ]);
    const g = groupModules(m);
    expect(g.map((x) => x.label)).toEqual([
      "embed",
      "encoder.layers.0.*",
      "encoder.layers.1.*",
      "head",
    ]);
    expect(g[1]!.members).toEqual([1, 2]);
  });

  it("orders rows by depth or by gradient norm, and collapses groups into one row", () => {
    const m = mods(["a.0.x", "a.0.y", "b", "c"]);
    const g = groupModules(m);
    const norm = [1, 5, 3, Number.NaN];
    const depth = moduleRows(m, g, new Set(), "depth", (i) => norm[i]!);
    expect(depth.map((r) => r.label)).toEqual(["a.0.x", "a.0.y", "b", "c"]);
    const byNorm = moduleRows(m, g, new Set(), "norm", (i) => norm[i]!);
    // group a.0 has norm sqrt(1 + 25) > 3; inside it y (5) before x (1); NaN last
    expect(byNorm.map((r) => r.label)).toEqual(["a.0.y", "a.0.x", "b", "c"]);
    const collapsed = moduleRows(m, g, new Set(["a.0"]), "depth", (i) => norm[i]!);
    expect(collapsed.map((r) => [r.label, r.members])).toEqual([
      ["a.0.*", [0, 1]],
      ["b", [2]],
      ["c", [3]],
    ]);
  });
});

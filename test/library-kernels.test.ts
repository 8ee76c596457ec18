/**
 * The library in Node loads the fastest kernels the install has, as the CLI does (issue #19):
 * `import ... from "gradscope"` resolves to src/node.ts under the "node" condition.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ADDON_PATH } from "../src/native/addon.ts";

describe("the library's kernels in Node", () => {
  it("package.json sends Node to the entry that loads the native kernels", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    expect(pkg.exports["."].node.default).toBe("./dist/node.js");
    expect(pkg.exports["."].default).toBe("./dist/index.js"); // browsers and bundlers
    expect(pkg.main).toBe("./dist/node.js");
  });

  it("importing it loads the native kernels when they are built, and products run on them", async () => {
    const lib = await import("../src/node.ts");
    if (existsSync(ADDON_PATH) && process.env.GRADSCOPE_NATIVE !== "0") {
      expect(lib.nativeKernels.loaded).toBe(true);
      expect(lib.gemmBackend()).toMatch(/^native/);
    } else {
      // no compiler at install: WebAssembly, and the reason is there to print
      expect(lib.nativeKernels.loaded).toBe(false);
      expect(lib.gemmBackend()).not.toBe("typescript");
    }
    // and the library still works as documented
    const result = lib.runProbe(lib.resolveProbeConfig({ depth: 5, width: 16, batch: 8 }));
    expect(result.layers.length).toBe(5);
  });
});

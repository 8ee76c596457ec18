import { describe, expect, it } from "vitest";
import { helperThreadPays } from "./wasm-threads.ts";

describe("browser helper thread", () => {
  it("needs cross-origin isolation and a core beyond the page's and the training worker's", () => {
    expect(helperThreadPays(true, 4)).toBe(true);
    expect(helperThreadPays(true, 3)).toBe(true);
    expect(helperThreadPays(true, 2)).toBe(false);
    expect(helperThreadPays(true, undefined)).toBe(false);
    expect(helperThreadPays(false, 16)).toBe(false);
  });
});

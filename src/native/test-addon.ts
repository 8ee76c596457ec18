import { type NativeAddon, type NativeIsa, requireNativeAddon } from "./addon.ts";

/**
 * The addon for the native tests, or null with the reason printed. Under CI a missing addon is
 * an error: the build must work on a clean machine (`npm ci` runs scripts/build-native.mjs).
 */
export function addonForTests(): NativeAddon | null {
  const addon = requireNativeAddon();
  if (typeof addon !== "string") return addon;
  if (process.env.CI)
    throw new Error(`CI must build the native addon (npm ci / npm run build:native): ${addon}`);
  console.log(`native kernel tests skipped: ${addon}`);
  return null;
}

/** The instruction sets this CPU runs, each one tested: the scalar fallback always. */
export function supportedIsas(addon: NativeAddon): NativeIsa[] {
  const all: NativeIsa[] = ["scalar", "avx2", "avx512"];
  const detected = addon.info().detectedIsa;
  return all.slice(0, all.indexOf(detected) + 1);
}

/**
 * The 50x512 probe both benches time: build the network, one forward/backward pass, every
 * per-layer metric. Shared by bench/run.ts and bench/probe-bench.ts.
 */
import { resolveProbeConfig } from "../src/experiment/config.ts";
import { buildProbe, forwardBackward } from "../src/experiment/probe-run.ts";
import { measureNetwork } from "../src/probe/measure.ts";

/** forward (2 b n^2) + dW (2 b n^2) + dx (2 b n^2, not for layer 1) per layer */
export const PROBE_FLOPS = 2 * 64 * 512 * 512 * (3 * 50 - 1);

/** Wall times (ms) of `repeats` probes, after one warm-up run for the JIT. */
export function timeProbe(dtype: "f32" | "f64", repeats: number): number[] {
  const config = resolveProbeConfig({
    depth: 50,
    width: 512,
    batch: 64,
    activation: "tanh",
    dtype,
  });
  const times: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    const setup = buildProbe(config);
    forwardBackward(setup);
    measureNetwork(setup.network);
    if (r > 0) times.push(performance.now() - t0);
  }
  return times;
}

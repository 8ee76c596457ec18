import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeSafetensors } from "../../experiment/weights/safetensors.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
const dir = mkdtempSync(join(tmpdir(), "gradscope-inspect-"));

interface Inspected {
  layers: {
    name: string;
    weightVar: number;
    chi1: number;
    phase: string;
    singularValues: number[];
  }[];
}

describe("gradscope inspect", () => {
  it("prints each weight matrix's sigma_w^2, chi1 and phase; --json carries them", async () => {
    // two 32x32 layers: identity matrix scaled by 1 (sigma_w^2 = 32 Var) and by 0.5
    const eye = (s: number) =>
      Float64Array.from({ length: 1024 }, (_, i) => (i % 33 === 0 ? s : 0));
    const file = join(dir, "eye.safetensors");
    writeFileSync(
      file,
      writeSafetensors([
        { name: "0.weight", shape: [32, 32], data: eye(1) },
        { name: "0.bias", shape: [32], data: new Float64Array(32) },
        { name: "1.weight", shape: [32, 32], data: eye(0.5) },
      ]),
    );
    const j = await run("inspect", file, "--activation", "identity", "--json");
    expect(j.code).toBe(0);
    const r = JSON.parse(j.stdout) as Inspected & { predictedSpan: number };
    // Var of an identity's entries: 1/32 - 1/32^2, times fan_in 32 = 31/32
    expect(r.layers[0]!.weightVar).toBeCloseTo(31 / 32, 12);
    expect(r.layers[0]!.singularValues).toEqual([1, 1, 1]);
    expect(r.layers[1]!.singularValues[0]).toBeCloseTo(0.5, 14);
    // identity: chi1 = sigma_w^2
    expect(r.layers[1]!.chi1).toBeCloseTo(r.layers[1]!.weightVar, 12);
    expect(r.predictedSpan).toBeCloseTo(r.layers[1]!.chi1, 12);
    const t = await run("inspect", file, "--activation", "identity");
    expect(t.stdout).toMatch(
      /^gradscope inspect: .*eye\.safetensors \(3 tensors, 2 weight matrices\), activation identity/,
    );
    expect(t.stdout).toMatch(/0\.weight +32x32 +0\.969/);
  });

  it("refuses a missing, truncated or foreign file with one line and exit 2", async () => {
    const missing = await run("inspect", join(dir, "nope.safetensors"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist\n$/);
    const whole = writeSafetensors([{ name: "w", shape: [4, 4], data: new Float64Array(16) }]);
    const cut = join(dir, "cut.safetensors");
    writeFileSync(cut, whole.slice(0, whole.length - 10));
    const c = await run("inspect", cut);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(
      /^gradscope: inspect: .*cut\.safetensors: truncated: tensor 'w' ends at byte 128 of the data, which has 118\n$/,
    );
    const foreign = join(dir, "model.pt");
    writeFileSync(foreign, "PK\x03\x04 a zip file, as torch.save writes");
    expect((await run("inspect", foreign)).stderr).toMatch(/not a safetensors file/);
    expect((await run("inspect", dir)).stderr).toMatch(/is not a file/);
    expect((await run("inspect", cut, "--top", "0")).stderr).toMatch(
      /--top must be an integer between 1 and 64/,
    );
  });

  it.skipIf(!hasTorch)(
    "agrees with torch on a real state dict (conv + linear, float32)",
    async () => {
      const file = join(dir, "torch.safetensors");
      const reference = JSON.parse(
        execFileSync(PYTHON, ["scripts/write-safetensors.py", file], { encoding: "utf8" }),
      ) as Record<string, { weightVar: number; singularValues: number[] }>;
      const r = JSON.parse(
        (await run("inspect", file, "--activation", "tanh", "--json")).stdout,
      ) as Inspected;
      expect(r.layers.map((l) => l.name)).toEqual(Object.keys(reference));
      for (const l of r.layers) {
        const ref = reference[l.name]!;
        expect(Math.abs(l.weightVar / ref.weightVar - 1)).toBeLessThan(1e-12);
        for (const [i, v] of l.singularValues.entries()) {
          expect(Math.abs(v / ref.singularValues[i]! - 1)).toBeLessThan(1e-10);
        }
      }
      // the layer scaled by 3 is chaotic for tanh, PyTorch's default init is ordered
      expect(r.layers[2]!.phase).toBe("chaotic");
      expect(r.layers[1]!.phase).toBe("ordered");
    },
  );
});

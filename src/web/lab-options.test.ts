import { describe, expect, it } from "vitest";
import {
  optionApplies,
  parseOptionValue,
  resolveProbeConfig,
  resolveTrainConfig,
} from "../experiment/config.ts";
import { PROBE_OPTIONS, TRAIN_OPTIONS } from "../experiment/options.ts";
import {
  cliCommand,
  defaultLabInput,
  LAB_DEFAULTS,
  LAB_FIELDS,
  LAB_LIMITS,
  toProbeInput,
  toTrainInput,
  validateLabInput,
} from "./lab-options.ts";

describe("lab options", () => {
  it("are train options with the same defaults and descriptions", () => {
    for (const f of LAB_FIELDS) {
      const t = TRAIN_OPTIONS.find((s) => s.key === f.spec.key)!;
      expect(t, f.spec.key).toBeDefined();
      if (f.spec.key in LAB_DEFAULTS) expect(f.spec.default).toBe(LAB_DEFAULTS[f.spec.key]);
      else expect(f.spec.default).toEqual(t.default);
      expect(f.spec.description).toBe(t.description);
      expect(f.spec.flag).toBe(t.flag);
    }
  });

  it("give a residual network branch scale 1/depth unless one is typed", () => {
    const { input } = validateLabInput({ depth: "50", residual: true });
    expect(resolveTrainConfig(toTrainInput(input)).branchScale).toBe(0.02);
    expect(cliCommand("train", input)).toContain("--branch-scale 0.02");
    const typed = validateLabInput({ depth: "50", residual: true, branchScale: "1" }).input;
    expect(resolveTrainConfig(toTrainInput(typed)).branchScale).toBe(1);
    expect(resolveTrainConfig(toTrainInput(defaultLabInput())).branchScale).toBe(1);
  });

  it("narrow depth to 100 and datasets to the generated ones", () => {
    const depth = LAB_FIELDS.find((f) => f.spec.key === "depth")!.spec;
    expect(depth.kind === "int" && depth.max).toBe(LAB_LIMITS.depth);
    const dataset = LAB_FIELDS.find((f) => f.spec.key === "dataset")!.spec;
    expect(dataset.kind === "choice" && dataset.choices).toEqual([
      "spirals",
      "circles",
      "xor",
      "moons",
      "blobs",
      "teacher",
    ]);
  });

  it("default input resolves to the train defaults", () => {
    expect(resolveTrainConfig(toTrainInput(defaultLabInput()))).toEqual(resolveTrainConfig({}));
  });

  it("explain bad values with the CLI's messages, by key", () => {
    const { errors } = validateLabInput({ depth: "500", weightVar: "-1", activation: "soft" });
    expect(errors.get("depth")).toBe("depth must be between 1 and 100 (got '500')");
    expect(errors.get("weightVar")).toBe("weightVar must be >= 0 (got '-1')");
    expect(errors.get("activation")).toMatch(/^activation must be one of: identity, sigmoid/);
    expect(validateLabInput({ depth: "2.5" }).errors.get("depth")).toBe(
      "depth must be an integer (got '2.5')",
    );
    expect(validateLabInput({ dataset: "mnist" }).errors.get("dataset")).toMatch(
      /^dataset must be one of: spirals, circles, xor, moons, blobs, teacher/,
    );
  });

  it("file combination problems under the option they name", () => {
    const { errors } = validateLabInput({ batchNorm: true, layerNorm: true });
    expect(errors.get("batchNorm")).toBe("batchNorm and layerNorm cannot both be on");
    const clip = validateLabInput({ clip: "global-norm", clipThreshold: "0" });
    expect(clip.errors.get("clipThreshold")).toBe("clipThreshold must be > 0 (got 0)");
  });

  it("report unknown keys", () => {
    expect(validateLabInput({ colour: "red" }).errors.get("")).toMatch(/^unknown option 'colour'/);
  });

  it("treat empty text as the default", () => {
    const { input, errors } = validateLabInput({ lr: "", depth: "" });
    expect(errors.size).toBe(0);
    expect(input.lr).toBeNull();
    expect(input.depth).toBe(20);
  });

  it("give the probe only network options", () => {
    const { input } = validateLabInput({ depth: "7", optimizer: "adam", residual: true });
    const probe = toProbeInput(input);
    expect(probe.depth).toBe(7);
    expect(probe.residual).toBe(true);
    expect(probe.optimizer).toBeUndefined();
    expect(probe.dataset).toBeUndefined();
  });

  it("print the equivalent CLI commands with non-default options", () => {
    const { input } = validateLabInput({
      depth: "50",
      activation: "leaky-relu",
      batchNorm: true,
      optimizer: "adam",
      seed: "3",
    });
    expect(cliCommand("train", input)).toBe(
      "gradscope train --depth 50 --activation leaky-relu --batch-norm --optimizer adam --seed 3",
    );
    expect(cliCommand("probe", input)).toBe(
      "gradscope probe --depth 50 --activation leaky-relu --batch-norm --seed 3",
    );
  });

  it("print commands the CLI accepts and that resolve to the page's configuration", () => {
    // Flags that change nothing are refused by the CLI: the lab leaves them out.
    const { input } = validateLabInput({
      depth: "12",
      init: "he-normal",
      weightVar: "1.5",
      slope: "0.2",
      branchScale: "0.5",
      clipThreshold: "3",
    });
    expect(cliCommand("probe", input)).toBe("gradscope probe --depth 12 --init he-normal");
    const flagInput = (command: string, specs: typeof TRAIN_OPTIONS) => {
      const words = command.split(" ").slice(2);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < words.length; i++) {
        const spec = specs.find((s) => `--${s.flag}` === words[i]);
        expect(spec, `${words[i]} in ${command}`).toBeDefined();
        if (spec!.kind === "boolean") out[spec!.key] = true;
        else out[spec!.key] = parseOptionValue(spec!, words[++i], "flag");
      }
      return out;
    };
    const network = ["activation", "init", "weightVar", "slope", "residual", "branchScale"];
    for (const init of ["normal", "he-normal", "xavier-uniform", "orthogonal"])
      for (const activation of ["tanh", "leaky-relu"])
        for (const residual of [false, true])
          for (const clip of ["none", "global-norm"]) {
            const raw = {
              depth: "9",
              init,
              activation,
              residual,
              clip,
              weightVar: "1.5",
              slope: "0.2",
              clipThreshold: "3",
              dataset: "moons",
            };
            const typed = validateLabInput(raw);
            expect([...typed.errors.values()]).toEqual([]);
            const page = resolveTrainConfig(toTrainInput(typed.input));
            const train = resolveTrainConfig(
              flagInput(cliCommand("train", typed.input), TRAIN_OPTIONS),
              "flag",
            );
            const probe = resolveProbeConfig(
              flagInput(cliCommand("probe", typed.input), PROBE_OPTIONS),
              "flag",
            );
            for (const [key, value] of Object.entries(page)) {
              if (!optionApplies(key, page as unknown as Record<string, unknown>)) continue;
              expect((train as unknown as Record<string, unknown>)[key], key).toEqual(value);
              if (network.includes(key))
                expect((probe as unknown as Record<string, unknown>)[key], key).toEqual(value);
            }
            // The residual default 1/depth (doctor's rounding) is in the command.
            if (residual) {
              expect(train.branchScale).toBeCloseTo(1 / 9, 4);
              expect(cliCommand("probe", typed.input)).toContain(
                `--branch-scale ${page.branchScale}`,
              );
            }
          }
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OptimizerName } from "../../src/core/optim/index.ts";
import {
  ConfigError,
  parseOptionValue,
  resolveProbeConfig,
  resolveTrainConfig,
} from "../../src/experiment/config.ts";
import {
  type OptionSource,
  type OptionSpec,
  optionName,
  PROBE_OPTIONS,
  TRAIN_OPTIONS,
} from "../../src/experiment/options.ts";
import { DEFAULT_LR } from "../../src/experiment/train/train-config.ts";

/** Runs per property (the counts docs/RELIABILITY.md reports). */
const CONFIG_RUNS = { valid: 400, invalid: 400, unknownKey: 200, anything: 400 } as const;
const SEED = 20261129;

/** A value `spec` accepts, as JSON would give it or as a CLI string. */
function validValue(spec: OptionSpec, source: OptionSource): fc.Arbitrary<unknown> {
  const asText = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    source === "flag"
      ? a.map((v) => String(v))
      : fc.oneof(
          a,
          a.map((v) => String(v)),
        );
  switch (spec.kind) {
    case "boolean":
      return asText(fc.boolean());
    case "choice":
      return fc.constantFrom(...spec.choices);
    case "string":
      return fc.string({ minLength: 1 }).filter((s) => s.trim() !== "");
    case "int":
      return asText(fc.integer({ min: spec.min, max: Math.min(spec.max, 2 ** 31 - 1) }));
    case "number": {
      const max = Math.min(spec.max, Number.MAX_VALUE);
      return asText(fc.double({ min: spec.min, max, noNaN: true, noDefaultInfinity: true }));
    }
  }
}

/** A value `spec` rejects (null and undefined mean "default", so they are not here). */
function invalidValue(spec: OptionSpec): fc.Arbitrary<unknown> {
  const notNumber = fc.oneof(
    fc.string().filter((s) => s.trim() === "" || !Number.isFinite(Number(s))),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  switch (spec.kind) {
    case "boolean":
      return fc.oneof(
        fc.string().filter((s) => s !== "true" && s !== "false"),
        fc.double(),
        fc.object({ maxDepth: 1 }),
      );
    case "choice":
      return fc.oneof(
        fc.string().filter((s) => !spec.choices.includes(s)),
        fc.integer(),
        fc.boolean(),
      );
    case "string":
      return fc.oneof(
        fc.constantFrom("", " ", "\t"),
        fc.boolean(),
        fc.object({ maxDepth: 1 }),
        fc.constant(Number.NaN),
      );
    case "int": {
      const outside: fc.Arbitrary<unknown>[] = [
        fc.integer({ min: -(2 ** 40), max: spec.min - 1 }),
        fc
          .double({ min: spec.min, max: spec.max, noNaN: true })
          .filter((v) => !Number.isInteger(v)),
      ];
      if (spec.max < 2 ** 40) outside.push(fc.integer({ min: spec.max + 1, max: 2 ** 40 }));
      return fc.oneof(notNumber, ...outside);
    }
    case "number": {
      const outside: fc.Arbitrary<unknown>[] = [
        fc.double({ max: spec.min, maxExcluded: true, noNaN: true, noDefaultInfinity: true }),
      ];
      if (spec.max < Number.MAX_VALUE) {
        outside.push(
          fc.double({ min: spec.max, minExcluded: true, noNaN: true, noDefaultInfinity: true }),
        );
      }
      return fc.oneof(notNumber, ...outside);
    }
  }
}

const specOf = (key: string): OptionSpec => TRAIN_OPTIONS.find((s) => s.key === key)!;

/** The value of `key` in a raw input as the resolver will see it (the default when absent). */
function effective(input: Record<string, unknown>, key: string): unknown {
  const spec = specOf(key);
  const raw = input[key];
  return raw === undefined ? spec.default : parseOptionValue(spec, raw, "key");
}

/**
 * Make a partial config of individually valid values satisfy the cross-field rules of
 * resolveTrainConfig, by dropping the later of two conflicting keys (so it takes its default).
 */
function repair(input: Record<string, unknown>): Record<string, unknown> {
  const c = { ...input };
  delete c.csv;
  delete c.labelColumn;
  delete c.task; // needs dataset csv, which needs a file
  delete c.out;
  if (c.dataset === "csv") delete c.dataset;
  if (effective(c, "batchNorm") === true && effective(c, "layerNorm") === true) delete c.layerNorm;
  if (effective(c, "batchNorm") === true && (effective(c, "batch") as number) < 2) {
    delete c.batchNorm;
  }
  const dataset = effective(c, "dataset");
  if (dataset === "teacher" && effective(c, "loss") === "cross-entropy") delete c.loss;
  if (dataset !== "spirals" && dataset !== "blobs") delete c.classes;
  const optimizer = effective(c, "optimizer");
  if (optimizer === "adam" || optimizer === "adamw") delete c.momentum;
  if (optimizer === "nesterov" && effective(c, "momentum") === 0) delete c.momentum;
  if (effective(c, "clip") !== "none" && !((effective(c, "clipThreshold") as number) > 0)) {
    delete c.clipThreshold;
  }
  const warmup = effective(c, "warmupSteps");
  if (typeof warmup === "number" && warmup > (effective(c, "steps") as number)) {
    delete c.warmupSteps;
  }
  if (effective(c, "schedule") === "step" && !((effective(c, "gamma") as number) > 0)) {
    delete c.gamma;
  }
  const lr = (effective(c, "lr") as number | null) ?? DEFAULT_LR[optimizer as OptimizerName];
  if (effective(c, "schedule") === "cosine" && (effective(c, "minLr") as number) > lr) {
    delete c.minLr;
  }
  // options that change nothing in this config are refused on the command line: drop them
  const schedule = effective(c, "schedule");
  const applies: Record<string, boolean> = {
    weightVar: ["normal", "uniform", "orthogonal", "identity"].includes(
      String(effective(c, "init")),
    ),
    slope: effective(c, "activation") === "leaky-relu",
    branchScale: effective(c, "residual") === true,
    warmupSteps: schedule === "warmup",
    stepSize: schedule === "step",
    gamma: schedule === "step",
    minLr: schedule === "cosine",
    clipThreshold: effective(c, "clip") !== "none",
  };
  for (const [key, ok] of Object.entries(applies)) if (!ok) delete c[key];
  return c;
}

function validTrainInput(source: OptionSource): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const spec of TRAIN_OPTIONS) model[spec.key] = validValue(spec, source);
  return fc.record(model, { requiredKeys: [] }).map((r) => repair(r as Record<string, unknown>));
}

function expectConfigError(fn: () => unknown, names: readonly string[] = []): ConfigError {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as ConfigError).message;
  expect(message.length).toBeGreaterThan(0);
  for (const name of names) expect(message).toContain(name);
  return caught as ConfigError;
}

describe("property: the config parser", () => {
  for (const source of ["key", "flag"] as const) {
    it(`random partial configs of valid values resolve (source ${source})`, () => {
      fc.assert(
        fc.property(validTrainInput(source), (input) => {
          const config = resolveTrainConfig(input, source);
          for (const [key, raw] of Object.entries(input)) {
            expect(config[key as keyof typeof config]).toEqual(
              parseOptionValue(specOf(key), raw, source),
            );
          }
          // the resolved config is valid input again, and resolves to itself
          expect(resolveTrainConfig(config, "key")).toEqual(config);
        }),
        { numRuns: CONFIG_RUNS.valid / 2, seed: SEED },
      );
    });

    it(`one invalid value throws a one-line ConfigError naming its key (source ${source})`, () => {
      const arb = fc
        .tuple(validTrainInput(source), fc.constantFrom(...TRAIN_OPTIONS))
        .chain(([input, spec]) =>
          invalidValue(spec).map((bad) => ({ input, spec, bad: bad as unknown })),
        );
      fc.assert(
        fc.property(arb, ({ input, spec, bad }) => {
          const err = expectConfigError(
            () => resolveTrainConfig({ ...input, [spec.key]: bad }, source),
            [optionName(spec, source)],
          );
          // one line, whatever the rejected value holds (control characters are escaped)
          expect(err.message).not.toMatch(/[\r\n]/);
        }),
        { numRuns: CONFIG_RUNS.invalid / 2, seed: SEED },
      );
    });
  }

  it("unknown keys throw a one-line ConfigError naming the key", () => {
    const known = new Set(TRAIN_OPTIONS.map((s) => s.key));
    const arb = fc.tuple(
      validTrainInput("key"),
      fc.string({ minLength: 1 }).filter((k) => !known.has(k)),
      fc.anything(),
    );
    fc.assert(
      fc.property(arb, ([input, key, value]) => {
        const err = expectConfigError(
          () => resolveTrainConfig({ ...input, [key]: value }),
          [`'${key}'`],
        );
        expect(err.message).not.toMatch(/[\r\n]/);
      }),
      { numRuns: CONFIG_RUNS.unknownKey, seed: SEED },
    );
  });

  it("anything at all: resolves or throws ConfigError, never another exception", () => {
    const trainKeys = TRAIN_OPTIONS.map((s) => s.key);
    const probeKeys = PROBE_OPTIONS.map((s) => s.key);
    const value = fc.oneof(
      fc.anything({ maxDepth: 2 }),
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
    );
    const arb = fc.record({
      train: fc.dictionary(fc.oneof(fc.constantFrom(...trainKeys), fc.string()), value, {
        maxKeys: 6,
      }),
      probe: fc.dictionary(fc.oneof(fc.constantFrom(...probeKeys), fc.string()), value, {
        maxKeys: 6,
      }),
      source: fc.constantFrom<OptionSource>("key", "flag"),
    });
    fc.assert(
      fc.property(arb, ({ train, probe, source }) => {
        for (const run of [
          () => resolveTrainConfig(train, source),
          () => resolveProbeConfig(probe, source),
        ]) {
          try {
            run();
          } catch (err) {
            expect(err).toBeInstanceOf(ConfigError);
            expect((err as Error).message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: CONFIG_RUNS.anything, seed: SEED },
    );
  });
});

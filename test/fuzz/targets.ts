/**
 * The fuzz targets of issue #17, class 9: the CSV reader, the config parser, the lab's URL
 * codec and the checkpoint reader. Each says which errors are answers (a one-line DatasetError
 * or ConfigError naming the problem) and turns everything else into a crash.
 */
import {
  ConfigError,
  resolveProbeConfig,
  resolveTrainConfig,
} from "../../src/experiment/config.ts";
import { loadCsvDataset } from "../../src/experiment/datasets/csv.ts";
import { DatasetError } from "../../src/experiment/datasets/errors.ts";
import { loadDataset } from "../../src/experiment/datasets/load.ts";
import { toJson } from "../../src/experiment/json-numbers.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/experiment/train/checkpoint.ts";
import { resumeError } from "../../src/experiment/train/resume.ts";
import { datasetOptions } from "../../src/experiment/train/train-config.ts";
import { Trainer } from "../../src/experiment/train/trainer.ts";
import { decodeState, encodeState } from "../../src/web/url-state.ts";
import { FuzzCrash, type FuzzTarget } from "./engine.ts";

/** An error is an answer when it is of an allowed class and its message is one line. */
function allow(err: unknown, ...classes: (new (...a: never[]) => Error)[]): void {
  if (!classes.some((c) => err instanceof c)) throw err;
  const message = (err as Error).message;
  if (message === "" || /[\r\n]/.test(message)) {
    throw new FuzzCrash(`not a one-line message: ${JSON.stringify(message.slice(0, 200))}`);
  }
}

export const csvTarget: FuzzTarget = {
  name: "csv reader",
  cover: ["/datasets/csv.ts", "/datasets/csv-parse.ts", "/datasets/assemble.ts"],
  seeds: [
    "x1,x2,label\n0.5,1,0\n1.5,2,1\n2.5,3,2\n3.5,4,1\n4.5,5,0\n",
    '"x, first","x2","class"\r\n"1.5",2,"cat"\r\n\r\n3," 4 ",dog\r\n5,6,cat\r\n',
    "2019,2020,target\n1,2,0.5\n3,4,1.5\n5,6,2.5\n",
    "a,y\n1,-1\n2,1\n3,1\n4,-1\n",
    "\ufeff1e3,.5,cat\n-0,5.,dog\n",
  ],
  dictionary: [
    ",",
    '"',
    '""',
    "\n",
    "\r\n",
    "\r",
    "NaN",
    "inf",
    "-Infinity",
    "1e999",
    "0x1f",
    "0b1",
    "-0",
    ".",
    "e5",
    " ",
    "\ufeff",
    "\u0000",
    "label",
    "cat",
    "1,2,3\n",
  ],
  maxLength: 2048,
  run(input) {
    for (const labelColumn of [undefined, 0, "y"] as const) {
      try {
        const d = loadCsvDataset({
          seed: 1,
          dtype: "f64",
          testFraction: 0.2,
          csvText: input,
          ...(labelColumn === undefined ? {} : { labelColumn }),
        });
        // what loads is a well-formed dataset
        const rows = d.trainX.rows + d.testX.rows;
        if (!(rows >= 2) || d.trainX.cols !== d.inputDim || d.trainY.cols !== d.outputDim) {
          throw new FuzzCrash(`malformed dataset: ${rows} rows, ${d.inputDim} -> ${d.outputDim}`);
        }
        for (const v of d.trainX.data) if (!Number.isFinite(v)) throw new FuzzCrash("non-finite x");
      } catch (err) {
        allow(err, DatasetError);
      }
    }
  },
};

export const configTarget: FuzzTarget = {
  name: "config parser",
  cover: ["/experiment/config.ts", "/experiment/options.ts"],
  seeds: [
    '{"depth": 20, "width": 64, "activation": "sigmoid", "init": "standard-uniform"}',
    '{"optimizer": "adam", "lr": 0.01, "schedule": "warmup", "warmupSteps": 10, "steps": 100}',
    '{"dataset": "csv", "csv": "data.csv", "task": "classification", "loss": "cross-entropy"}',
    '{"batchNorm": true, "batch": 2, "clip": "global-norm", "clipThreshold": 1, "dtype": "f32"}',
    "--depth 3 --weight-var 2 --init normal --residual true --branch-scale 0.5",
  ],
  dictionary: [
    '"depth"',
    '"lr"',
    '"task"',
    '"loss"',
    "null",
    "true",
    "false",
    "-1",
    "1e309",
    '"NaN"',
    "[]",
    "{}",
    ":",
    ",",
    '"regression"',
    '"cross-entropy"',
    "0x10",
    '"__proto__"',
    '"constructor"',
    "--",
  ],
  maxLength: 1024,
  run(input) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      for (const resolve of [resolveTrainConfig, resolveProbeConfig]) {
        try {
          resolve(parsed as Record<string, unknown>, "key");
        } catch (err) {
          allow(err, ConfigError);
        }
      }
      return;
    }
    // CLI-like: "--flag value" pairs as strings
    const words = input.split(/\s+/).filter(Boolean);
    const flags: Record<string, unknown> = {};
    for (let i = 0; i + 1 < words.length; i += 2) {
      const key = words[i]!.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) =>
        c.toUpperCase(),
      );
      flags[key] = words[i + 1];
    }
    try {
      resolveTrainConfig(flags, "flag");
    } catch (err) {
      allow(err, ConfigError);
    }
  },
};

export const urlTarget: FuzzTarget = {
  name: "URL codec",
  cover: ["/web/url-state.ts", "/web/lab-options.ts"],
  seeds: [
    encodeState({ ...decodeState("").state }),
    "#view=lab&depth=30&activation=relu&init=he-normal&lr=0.01&dataset=moons",
    "#view=compare&a.depth=10&b.depth=40&b.activation=tanh",
    "#view=story&story=matrix&m=2,0;0,2&steps=5",
    "depth=%ZZ&fn=%E0%A4%A&layers=1,2,3",
  ],
  dictionary: [
    "&",
    "=",
    "%",
    "%25",
    "%00",
    "#",
    ".",
    "view=",
    "depth=",
    "a.",
    "b.",
    ";",
    ",",
    "1e999",
    "NaN",
    "-0",
    "+",
    "%E0%A4%A",
    "story=",
    "m=",
  ],
  maxLength: 1024,
  knownOpen: [],
  run(input) {
    // never throws; what it decodes re-encodes to a hash that decodes to the same state
    const first = decodeState(input);
    for (const message of first.errors.values()) {
      if (/[\r\n]/.test(message)) throw new FuzzCrash(`multi-line error: ${message}`);
    }
    const again = decodeState(encodeState(first.state));
    if (again.errors.size > 0) {
      throw new FuzzCrash(`re-encoded state has errors: ${[...again.errors.values()].join("; ")}`);
    }
    // a hash holds the fields of its view: encoding is a fixed point from the first decode on
    if (encodeState(again.state) !== encodeState(first.state)) {
      throw new FuzzCrash("re-encoding changed the hash");
    }
  },
};

/** The checkpoint target: decodes, and what decodes for this config is imported and stepped. */
export function checkpointTarget(): FuzzTarget {
  const config = { depth: 2, width: 4, batch: 8, samples: 40, steps: 20, seed: 3 };
  const base = resolveTrainConfig(config, "key");
  const dataset = loadDataset(base.dataset, datasetOptions(base));
  const trainer = new Trainer(base, dataset);
  for (let i = 0; i < 3; i++) trainer.step();
  const seed = encodeCheckpoint(trainer.config, trainer.exportState());
  const expected = toJson(trainer.config);
  return {
    name: "checkpoint reader",
    cover: ["/train/checkpoint.ts", "/train/trainer.ts"],
    seeds: [seed],
    dictionary: [
      '"NaN"',
      '"-0"',
      "null",
      "[]",
      "{}",
      '"AAAA"',
      "-1",
      "1e9",
      '"f32"',
      '"f64"',
      '"stepsDone"',
      '"tensors"',
      ",",
      ":",
      "}",
      "]",
      '"=="',
    ],
    maxLength: 64 * 1024,
    run(input) {
      let checkpoint: ReturnType<typeof decodeCheckpoint>;
      try {
        checkpoint = decodeCheckpoint(input, "fuzz");
      } catch (err) {
        // the message quotes JSON.parse's excerpt, which may hold a line break: the CLI
        // prints every message through one-line escaping (main.ts), so only the class counts
        if (!(err instanceof ConfigError)) throw err;
        return;
      }
      // resume refuses a checkpoint of another config (loadResumable): the rest is imported
      if (toJson(checkpoint.config) !== expected) return;
      try {
        trainer.importState(checkpoint.state);
        if (!trainer.finished) trainer.step(); // train() steps only an unfinished run
      } catch (err) {
        // as train --resume reports it (resumeTrain)
        allow(resumeError(err, "fuzz", true), ConfigError);
      }
    },
  };
}

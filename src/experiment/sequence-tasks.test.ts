import { describe, expect, it } from "vitest";
import { TASK_KINDS } from "../core/transformer/heads.ts";
import { resolveTrainConfig } from "./config.ts";
import { SEQUENCE_TASKS } from "./options.ts";
import { SEQUENCE_TASK_NAMES } from "./recurrent/tasks.ts";

describe("one --task flag for every family", () => {
  it("lists exactly the recurrent and transformer tasks", () => {
    expect([...SEQUENCE_TASKS].sort()).toEqual([...SEQUENCE_TASK_NAMES, ...TASK_KINDS].sort());
  });
  it("an MLP refuses a family's task with one line naming what it takes", () => {
    expect(() => resolveTrainConfig({ task: "adding" }, "flag")).toThrow(
      "--task adding is a task of --arch rnn, lstm, gru or transformer; an MLP on a CSV takes classification or regression",
    );
  });
});

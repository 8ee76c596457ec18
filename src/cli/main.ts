import { Command, CommanderError } from "commander";
import { ConfigError, oneLine as safeText } from "../experiment/config.ts";
import { DatasetError } from "../experiment/datasets/errors.ts";
import { compareCommand } from "./commands/compare.ts";
import { demoCommand } from "./commands/demo.ts";
import { diagnoseCommand } from "./commands/diagnose.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { importCommand } from "./commands/import.ts";
import { inspectCommand } from "./commands/inspect.ts";
import { jacobianCommand } from "./commands/jacobian.ts";
import { probeCommand } from "./commands/probe.ts";
import { reportCommand } from "./commands/report.ts";
import { serveCommand } from "./commands/serve.ts";
import { sweepCommand } from "./commands/sweep.ts";
import { theoryCommand } from "./commands/theory.ts";
import { trainCommand } from "./commands/train.ts";
import { workerCommand } from "./commands/worker.ts";
import { describeSystemError, UsageError } from "./errors.ts";
import { type Output, processOutput } from "./output.ts";

export const VERSION = "0.1.0";

export function buildProgram(output: Output = processOutput): Command {
  const program = new Command("gradscope")
    .description("measure, predict and fix vanishing and exploding gradients in deep networks")
    .version(VERSION)
    .showSuggestionAfterError(true);
  program.addCommand(probeCommand(output));
  program.addCommand(theoryCommand(output));
  program.addCommand(demoCommand(output));
  program.addCommand(jacobianCommand(output));
  program.addCommand(trainCommand(output));
  program.addCommand(compareCommand(output));
  program.addCommand(doctorCommand(output));
  program.addCommand(serveCommand(output));
  program.addCommand(reportCommand(output));
  program.addCommand(diagnoseCommand(output));
  program.addCommand(inspectCommand(output));
  program.addCommand(importCommand(output));
  program.addCommand(sweepCommand(output));
  program.addCommand(workerCommand(output));
  // Without a command, show the overview instead of doing nothing; a word that is no command
  // gets its name back with the nearest command, not commander's "too many arguments".
  program.argument("[command]").action((word: string | undefined) => {
    if (word === undefined) {
      program.help();
      return;
    }
    const names = program.commands.map((c) => c.name());
    const near = nearest(word, names);
    throw new UsageError(
      `unknown command '${safeText(word, 80)}'${near ? ` (did you mean '${near}'?)` : ""}; commands: ${names.join(", ")}`,
    );
  });
  // Errors are printed by main() as one line; help goes to stdout.
  const silenceErrors = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => output.out(s),
      writeErr: () => {},
    });
    for (const sub of cmd.commands) silenceErrors(sub);
  };
  silenceErrors(program);
  return program;
}

/** Run the CLI; resolves to the process exit code (0 ok, 2 bad input, 1 internal error). */
export async function main(
  argv: readonly string[],
  output: Output = processOutput,
): Promise<number> {
  const program = buildProgram(output);
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      )
        return 0;
      output.err(`gradscope: ${oneLine(err.message.replace(/^error: /, ""))}\n`);
      return 2;
    }
    // a dataset that will not load is bad input wherever it surfaces (train, compare, doctor)
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof DatasetError) {
      output.err(`gradscope: ${oneLine(err.message)}\n`);
      return 2;
    }
    const system = describeSystemError(err);
    if (system !== null) {
      output.err(`gradscope: ${oneLine(system)}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    output.err(`gradscope: internal error: ${oneLine(message)}\n`);
    if (process.env.GRADSCOPE_DEBUG && err instanceof Error) output.err(`${err.stack}\n`);
    return 1;
  }
}

/** The name within edit distance 2 of `word` (or sharing its first 3 letters), if any. */
function nearest(word: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const name of names) {
    const d = editDistance(word.toLowerCase(), name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  if (best) return best;
  return (
    names.find((n) => word.length >= 3 && n.startsWith(word.slice(0, 3).toLowerCase())) ?? null
  );
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** An error message as one safe line: newlines joined, control characters escaped. */
function oneLine(s: string): string {
  // quoted values (a flag's argument echoed back) are cut: 10 MB of input is not a message
  return safeText(s.replace(/\s*\n\s*/g, " ").trim()).replace(/'([^']{120})[^']+'/g, "'$1...'");
}

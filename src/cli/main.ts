import { Command, CommanderError } from "commander";
import { ConfigError } from "../experiment/config.ts";
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
import { theoryCommand } from "./commands/theory.ts";
import { trainCommand } from "./commands/train.ts";
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
  // Without a command, show the overview instead of doing nothing.
  program.action(() => program.help());
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
    if (err instanceof ConfigError || err instanceof UsageError) {
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

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

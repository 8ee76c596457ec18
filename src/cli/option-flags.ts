import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { ConfigError } from "../experiment/config.ts";
import type { OptionSpec } from "../experiment/options.ts";

/** Register every option of `specs` on a commander command, with its help and default. */
export function addOptionFlags(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    if (spec.kind === "boolean") {
      command.addOption(new Option(`--${spec.flag}`, spec.description));
      continue;
    }
    const option = new Option(`--${spec.flag} <value>`, spec.description);
    if (spec.kind === "choice") option.choices(spec.choices as string[]);
    if (spec.default !== null) option.default(String(spec.default));
    command.addOption(option);
  }
  command.addOption(
    new Option("--config <file>", "JSON file of options (camelCase keys); flags override it"),
  );
  return command;
}

/**
 * The raw values the user gave, keyed by option key: the config file's entries first, then
 * every flag actually typed. Values stay raw (strings) for the config resolver to validate.
 */
export function collectOptionInput(
  specs: readonly OptionSpec[],
  command: Command,
): { input: Record<string, unknown>; fromFile: Record<string, unknown> } {
  const opts = command.opts();
  let fromFile: Record<string, unknown> = {};
  if (typeof opts.config === "string") fromFile = readConfigFile(opts.config);
  const input: Record<string, unknown> = {};
  for (const spec of specs) {
    // Defaults shown in --help are commander's; only values the user typed count here, so a
    // config file is not overridden by a default.
    const source = command.getOptionValueSource(spec.key);
    const v = opts[spec.key];
    if (v !== undefined && source !== "default") input[spec.key] = v;
  }
  return { input, fromFile };
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object of options`);
  }
  return parsed as Record<string, unknown>;
}

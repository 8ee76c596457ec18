import { readFileSync, statSync } from "node:fs";
import { type Command, Option } from "commander";
import { ConfigError } from "../experiment/config.ts";
import type { OptionSpec } from "../experiment/options.ts";

/**
 * Register every option of `specs` on a commander command, with its help and default, and
 * `--config FILE` unless `withConfig` is false (a second table on a command that has it).
 */
export function addOptionFlags(
  command: Command,
  specs: readonly OptionSpec[],
  withConfig = true,
): Command {
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
  if (!withConfig) return command;
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

/** A config file larger than this is not a config file (and /dev/zero would never end). */
const MAX_CONFIG_BYTES = 1024 * 1024;

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    // a FIFO, a device or a directory is refused before any read: reading /dev/zero never
    // ends, and reading a FIFO nobody writes blocks forever
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new ConfigError(`config file ${path} is not a regular file`);
    }
    if (stat.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        `config file ${path} is ${stat.size} bytes: a config is a small JSON object (at most 1 MiB)`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
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

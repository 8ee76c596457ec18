import { ARCH_OPTIONS, type ArchName } from "../arch-options.ts";
import { TRAIN_OPTIONS } from "../options.ts";
import {
  resolveSequenceRun,
  SEQUENCE_TRAIN_OPTIONS,
  sequenceRunKeys,
} from "../sequence-train/options.ts";
import type { SequenceRunConfig } from "../sequence-train/types.ts";

/** The flag of an option key, looked up as `train --arch` reads them (the family's first). */
function optionFlag(key: string): string {
  const spec = [...ARCH_OPTIONS, ...SEQUENCE_TRAIN_OPTIONS, ...TRAIN_OPTIONS].find(
    (s) => s.key === key,
  );
  if (!spec) throw new Error(`doctor: no flag for option '${key}'`);
  return spec.flag;
}

/** The flags of `gradscope train` that give exactly `config` (every key but `out`). */
export interface TrainCommand {
  /** Option key -> value: the task and the net's shape first, then in the family's key order. */
  flags: Record<string, string | number>;
  /** "gradscope train --arch lstm --task adding ..." */
  command: string;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A short `gradscope train` command (--arch, the task and the net's shape, and the flags that
 * differ from the family's defaults) that resolves to `config`, checked by resolving it: what doctor prints for the best
 * remedy, so the user runs exactly what was measured.
 */
export function trainCommandFor(config: SequenceRunConfig): TrainCommand {
  const arch = config.arch as Exclude<ArchName, "mlp">;
  const keys = sequenceRunKeys(arch).filter((k) => k !== "out");
  const target = config as unknown as Record<string, unknown>;
  // What the run is, always written out (defaults or not): the task and the net's shape.
  const always =
    config.arch === "transformer"
      ? ["task", "depth", "width", "normPosition", "steps"]
      : ["task", "seqLen", "width", "steps"];
  const given: Record<string, unknown> = {};
  for (const k of always) given[k] = target[k];
  // Defaults depend on other options (ffnWidth on width, warmupSteps on steps): add what
  // still differs until nothing does (each round only adds keys, so this ends).
  for (let round = 0; round <= keys.length; round++) {
    const resolved = resolveSequenceRun(arch, given, "key") as unknown as Record<string, unknown>;
    const differ = keys.filter((k) => !same(resolved[k], target[k]));
    if (differ.length === 0) break;
    for (const k of differ) given[k] = target[k];
  }
  const flags: Record<string, string | number> = {};
  for (const k of [...always, ...keys.filter((k) => !always.includes(k))]) {
    const v = given[k];
    if (v !== undefined && v !== null) flags[k] = v as string | number;
  }
  const parts = ["gradscope", "train", "--arch", config.arch];
  for (const [k, v] of Object.entries(flags)) parts.push(`--${optionFlag(k)}`, String(v));
  return { flags, command: parts.join(" ") };
}

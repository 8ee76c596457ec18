import { closeSync, openSync, writeSync } from "node:fs";
import { buildTransformerProbe, transformerForwardBackward } from "./build.ts";
import { type TransformerConfig, validateTransformerConfig } from "./config.ts";
import { transformerDumpChunks } from "./dump.ts";

/** Run one probe pass of `config` and write its dump to `path` (probe --dump for a transformer). */
export function writeTransformerDump(config: TransformerConfig, path: string): number {
  validateTransformerConfig(config);
  const setup = buildTransformerProbe(config);
  const loss = transformerForwardBackward(setup);
  const fd = openSync(path, "w");
  try {
    for (const chunk of transformerDumpChunks(setup, loss)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return loss;
}

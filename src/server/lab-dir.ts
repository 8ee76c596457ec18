import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the built browser lab lives: dist-web/ at the package root. This file sits two
 * folders below the root both as source (src/server) and compiled (dist/server).
 */
export function defaultLabDir(): string {
  return fileURLToPath(new URL("../../dist-web/", import.meta.url));
}

/** True when `dir` holds a built lab (its index.html). */
export function isBuiltLab(dir: string): boolean {
  return existsSync(join(dir, "index.html"));
}

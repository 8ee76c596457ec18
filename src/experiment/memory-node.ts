import { freemem } from "node:os";
import { readSmallFile } from "./file-read.ts";
import { formatBytes } from "./memory.ts";

/*
 * Node-only memory checks (memory.ts stays browser-safe: the lab imports it).
 */

/**
 * Memory this process can still take, in bytes: MemAvailable of /proc/meminfo on Linux (free
 * memory plus the page cache and reclaimable slabs the kernel would give back), else
 * os.freemem(). Read at the moment of asking, so a check made just before an allocation sees
 * what other processes use now, not the machine's total.
 */
export function availableMemory(): number {
  try {
    const text = readSmallFile("/proc/meminfo", "meminfo", 1 << 20);
    const m = /^MemAvailable:\s+(\d+)\s*kB/m.exec(text);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux (or /proc not mounted): fall through
  }
  return freemem();
}

/** The share of the available memory one allocation plan may take (the rest is headroom). */
export const AVAILABLE_SHARE = 0.75;

/** Memory one plan may take now: three quarters of `availableMemory()`. */
export function memoryBudget(): number {
  return Math.floor(availableMemory() * AVAILABLE_SHARE);
}

/**
 * Throw `makeError(message)` when `need` bytes exceed `limit` (default: `memoryBudget()`),
 * before anything is allocated. `what` says what needs it ("the csv's 52,000,000 rows").
 */
export function checkAvailable<E extends Error>(
  need: number,
  what: string,
  makeError: (message: string) => E,
  limit: number = memoryBudget(),
): void {
  if (need > limit) {
    throw makeError(
      `${what} needs about ${formatBytes(need)}, over the ${formatBytes(limit)} this machine has free now (3/4 of MemAvailable)`,
    );
  }
}

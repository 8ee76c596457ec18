import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("gradscope as a process", () => {
  it("stops quietly when its reader closes the pipe early (| head), exit 0, no EPIPE trace", async () => {
    // depth 10000 prints ~1 MB of table: the reader takes the first chunk and closes
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/run.ts",
        "probe",
        "--depth",
        "10000",
        "--width",
        "2",
        "--batch",
        "1",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const first = await new Promise<string>((resolve) => {
      child.stdout.once("data", (d: Buffer) => {
        resolve(d.toString());
        child.stdout.destroy();
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(first).toMatch(/^gradscope probe: depth 10000/);
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 60_000);
});

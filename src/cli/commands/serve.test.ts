import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";
import { parsePort, startServe } from "./serve.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

function builtLab(): string {
  const dir = mkdtempSync(join(tmpdir(), "gradscope-lab-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>gradscope lab</title>");
  return dir;
}

describe("gradscope serve", () => {
  it("validates --port", () => {
    expect(parsePort("0")).toBe(0);
    expect(parsePort("8080")).toBe(8080);
    expect(() => parsePort("65536")).toThrow(
      "--port must be an integer between 0 and 65535 (got '65536')",
    );
    expect(() => parsePort("http")).toThrow(/got 'http'/);
    expect(() => parsePort("-1")).toThrow(/got '-1'/);
  });

  it("rejects a bad port with exit code 2 and one line", async () => {
    const r = await run("serve", "--port", "abc");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("gradscope: --port must be an integer between 0 and 65535 (got 'abc')\n");
  });

  it("says how to build the lab when it is missing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "gradscope-nolab-"));
    const r = await run("serve", "--port", "0", "--dir", empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gradscope: the browser lab is not built .*npm run build:web/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 2 with one line when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run("serve", "--port", String(port), "--dir", builtLab());
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `gradscope: port ${port} on 127.0.0.1 is already in use: choose another with --port N (0 picks a free one)\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it("startServe prints the URL and serves the lab", async () => {
    const output = captureOutput();
    const server = await startServe({ port: 0, host: "127.0.0.1", dir: builtLab() }, output);
    try {
      expect(output.stdout()).toBe(`gradscope lab: ${server.url}\n`);
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("gradscope lab");
    } finally {
      await server.close();
    }
  });

  it("serve RUN_DIR offers the run read-only under /run/ and says so", async () => {
    const run = mkdtempSync(join(tmpdir(), "gradscope-serve-run-"));
    writeFileSync(join(run, "metrics.jsonl"), '{"step":1,"loss":1,"layers":[]}\n');
    const output = captureOutput();
    const server = await startServe({ port: 0, host: "127.0.0.1", dir: builtLab(), run }, output);
    try {
      expect(output.stdout()).toBe(
        `gradscope lab: ${server.url}\nrun: ${run} (read-only; the lab opens on it: ${server.url}#view=run)\n`,
      );
      const res = await fetch(`${server.url}run/metrics.jsonl`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('"step":1');
    } finally {
      await server.close();
    }
  });

  it("rejects a RUN_DIR that is missing, a file, or holds no run, in one line", async () => {
    const lab = builtLab();
    const missing = await run("serve", "/nonexistent/run", "--port", "0", "--dir", lab);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "gradscope: serve: run directory /nonexistent/run does not exist\n",
    );
    const file = join(lab, "index.html");
    const notDir = await run("serve", file, "--port", "0", "--dir", lab);
    expect(notDir.stderr).toBe(
      `gradscope: serve: ${file} is not a directory (give a run directory)\n`,
    );
    const empty = mkdtempSync(join(tmpdir(), "gradscope-serve-empty-"));
    const noRun = await run("serve", empty, "--port", "0", "--dir", lab);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(
      /^gradscope: serve: .* holds no run \(no metrics.jsonl or config.json\)/,
    );
  });

  it("runs as a process until SIGTERM", async () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/run.ts", "serve", "--port", "0", "--dir", builtLab()],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout}`)), 20_000);
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        stdout += chunk;
        const m = /gradscope lab: (http:\/\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${stdout}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await fetch(url)).status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});

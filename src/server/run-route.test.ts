import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StaticServer, startStaticServer } from "./static-server.ts";

/** A raw GET (fetch would normalise "..", which is what we test). */
function rawGet(
  server: StaticServer,
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static server: the run route of gradscope serve RUN_DIR", () => {
  let server: StaticServer;
  let plain: StaticServer;
  const base = mkdtempSync(join(tmpdir(), "gradscope-runroute-"));
  const lab = join(base, "lab");
  const run = join(base, "my-run");
  beforeAll(async () => {
    mkdirSync(lab);
    mkdirSync(run);
    writeFileSync(join(lab, "index.html"), "<!doctype html><title>lab</title>");
    writeFileSync(join(lab, ".secret"), "no");
    writeFileSync(join(run, "config.json"), '{"depth":3}');
    writeFileSync(join(run, "metrics.jsonl"), '{"step":1,"loss":1,"layers":[]}\n');
    writeFileSync(join(run, ".env"), "TOKEN=1");
    writeFileSync(join(run, "checkpoint.bin"), "weights");
    writeFileSync(join(base, "outside.json"), "{}");
    symlinkSync(join(base, "outside.json"), join(run, "summary.json"));
    server = await startStaticServer({ root: lab, port: 0, run });
    plain = await startStaticServer({ root: lab, port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await plain.close();
  });

  it("serves the manifest and the run files, uncached, with the security headers", async () => {
    const m = await rawGet(server, "/run/manifest.json");
    expect(m.status).toBe(200);
    expect(JSON.parse(m.body)).toEqual({ name: "my-run", files: ["config.json", "metrics.jsonl"] });
    const metrics = await rawGet(server, "/run/metrics.jsonl?t=1");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toBe('{"step":1,"loss":1,"layers":[]}\n');
    expect(metrics.headers["content-type"]).toBe("application/x-ndjson; charset=utf-8");
    expect(metrics.headers["cache-control"]).toBe("no-store");
    expect(metrics.headers["content-security-policy"]).toContain("default-src 'self'");
    expect((await rawGet(server, "/run/config.json")).body).toBe('{"depth":3}');
  });

  it("serves nothing else: other files, dotfiles, traversal, a symlink out of the run", async () => {
    for (const path of [
      "/run/checkpoint.bin",
      "/run/.env",
      "/run/",
      "/run/../outside.json",
      "/run/%2e%2e/outside.json",
      "/run/config.json/",
      "/run/sub/config.json",
      "/run/summary.json",
    ]) {
      expect((await rawGet(server, path)).status, path).toBe(404);
    }
    expect((await rawGet(server, "/.secret")).status).toBe(400);
    expect((await rawGet(server, "/index.html")).status).toBe(200);
  });

  it("without a run, /run/ is an ordinary missing path", async () => {
    expect((await rawGet(plain, "/run/manifest.json")).status).toBe(404);
    expect((await rawGet(plain, "/run/metrics.jsonl")).status).toBe(404);
  });

  it("refuses a run directory that does not exist", async () => {
    await expect(
      startStaticServer({ root: lab, port: 0, run: join(base, "nope") }),
    ).rejects.toThrow(/cannot serve the run .*nope: no such directory/);
  });
});

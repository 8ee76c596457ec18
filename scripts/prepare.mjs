#!/usr/bin/env node
// `npm install` / `npm ci` run this (package.json "prepare"): the WebAssembly kernels, the
// native kernels (when a compiler is there), the TypeScript and the browser lab. npm also runs
// `prepare` when `npx gradscope` first installs this folder, and would sit silent for ~40 s
// rebuilding what is already built: so when every output is newer than every input, it says so
// and stops. GRADSCOPE_REBUILD=1 forces the build.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Newest modification time under `path` (files matching `keep`), 0 when there is none. */
function newest(path, keep = () => true) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return keep(path) ? stat.mtimeMs : 0;
  let t = 0;
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name === "build" || name.startsWith(".")) continue;
    t = Math.max(t, newest(join(path, name), keep));
  }
  return t;
}

const notGenerated = (p) => !p.endsWith(".generated.ts");
const inputs = [
  newest(join(root, "src"), notGenerated),
  newest(join(root, "native"), (p) => /\.(cc|cpp|h|hpp|gyp)$/.test(p)),
  newest(join(root, "scripts"), (p) => /build-.*\.mjs$|prepare\.mjs$/.test(p)),
  ...[
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "tsconfig.web.json",
    "vite.config.ts",
  ].map((f) => newest(join(root, f))),
];
const outputs = [
  "dist/cli/run.js",
  "dist/node.js",
  "dist-web/index.html",
  "src/core/kernels/wasm/gemm-wasm.generated.ts",
].map((f) => join(root, f));
const newestInput = Math.max(...inputs);
const oldestOutput = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));

if (process.env.GRADSCOPE_REBUILD !== "1" && oldestOutput > newestInput) {
  process.stderr.write("gradscope: build is up to date (GRADSCOPE_REBUILD=1 rebuilds)\n");
  process.exit(0);
}

const steps = [
  ["WebAssembly kernels", "build:wasm"],
  ["native kernels", "build:native"],
  ["TypeScript", "build"],
  ["browser lab", "build:web"],
];
const npm = process.env.npm_execpath;
for (const [what, script] of steps) {
  process.stderr.write(`gradscope: building the ${what} (npm run ${script})\n`);
  const started = performance.now();
  const r = npm
    ? spawnSync(process.execPath, [npm, "run", "--silent", script], { cwd: root, stdio: "inherit" })
    : spawnSync("npm", ["run", "--silent", script], { cwd: root, stdio: "inherit", shell: false });
  if (r.status !== 0) {
    process.stderr.write(`gradscope: ${what} failed (npm run ${script}, exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
  process.stderr.write(
    `gradscope: ${what} built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

// Builds the optional native kernels (native/, a C N-API addon) with npm's own node-gyp, offline.
// Run by `npm run build:native` and by `prepare` (so `npm ci` builds it). The addon is optional:
// on any failure this prints one warning line and exits 0, and gradscope runs on WebAssembly.
//
//   node scripts/build-native.mjs          (GRADSCOPE_NATIVE=0 skips the build)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const nativeDir = join(root, "native");
const output = join(nativeDir, "build", "Release", "gradscope_native.node");

function skip(reason) {
  process.stderr.write(`native kernels not built: ${reason}; using WebAssembly\n`);
  process.exit(0);
}

if (process.env.GRADSCOPE_NATIVE === "0") skip("GRADSCOPE_NATIVE=0");

// npm exports its bundled node-gyp to scripts; run directly, find it next to npm.
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
].filter((p) => p && existsSync(p));
const nodeGyp = candidates[0];
if (!nodeGyp) skip("node-gyp not found (neither npm_config_node_gyp nor npm's bundled copy)");

// Local headers keep node-gyp offline: npm's nodedir setting, else the prefix node runs from
// (Debian's nodejs puts them in /usr/include/node), else node-gyp's own cache if present.
const prefixes = [process.env.npm_config_nodedir, join(dirname(process.execPath), ".."), "/usr"];
const nodedir = prefixes.find((p) => p && existsSync(join(p, "include", "node", "node_api.h")));
const args = [nodeGyp, "rebuild", "--loglevel=error"];
if (nodedir) args.push(`--nodedir=${nodedir}`);

const started = performance.now();
const result = spawnSync(process.execPath, args, {
  cwd: nativeDir,
  encoding: "utf8",
  env: { ...process.env, npm_config_offline: "true" },
});
if (result.error) skip(`could not run node-gyp (${result.error.message})`);
if (result.status !== 0 || !existsSync(output)) {
  // the first compiler or gyp error says the most; keep it to one line
  const lines = `${result.stderr}\n${result.stdout}`.split("\n").map((l) => l.trim());
  const why =
    lines.find((l) => /error/i.test(l) && !/^gyp (ERR!|info) (stack|cwd|node|command|not ok)/.test(l)) ??
    `node-gyp exited with ${result.status}`;
  skip(why.slice(0, 200));
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(`native kernels built in ${seconds} s: ${output.slice(root.length)}\n`);

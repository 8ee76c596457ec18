import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

/**
 * The browser lab (src/web) built to dist-web/ with relative URLs (base "./"), so it works
 * from any path and offline: everything is bundled, nothing comes from a CDN. `gradscope
 * serve` serves the result.
 */

const NODE_ONLY = new Set([...builtinModules, "mnist"]);

/**
 * Fail the build when a Node-only module reaches the browser bundle, instead of letting Vite
 * swap in an empty stub. Node-only imports are left external while bundling, so code that is
 * never called from the browser (train()'s lazy loaders of csv/mnist and run directories) is
 * tree-shaken away; any that survive into an output chunk fail the build.
 */
function browserOnly(): Plugin {
  const seen = new Map<string, string>();
  return {
    name: "gradscope:browser-only",
    enforce: "pre",
    resolveId(source, importer) {
      if (source.startsWith("node:") || NODE_ONLY.has(source)) {
        if (!seen.has(source)) seen.set(source, importer ?? "?");
        return { id: source, external: true };
      }
      return null;
    },
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        for (const id of [...chunk.imports, ...chunk.dynamicImports]) {
          if (id.startsWith("node:") || NODE_ONLY.has(id)) {
            this.error(
              `'${id}' (imported by ${seen.get(id) ?? "?"}) reaches ${chunk.fileName}: the browser lab must not use Node-only modules`,
            );
          }
        }
      }
    },
  };
}

const crossOriginIsolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: fileURLToPath(new URL("./src/web", import.meta.url)),
  base: "./",
  publicDir: false,
  plugins: [browserOnly()],
  worker: { format: "es", plugins: () => [browserOnly()] },
  build: {
    outDir: fileURLToPath(new URL("./dist-web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
});

// Bundles with esbuild into out/dist/ (gitignored): the webview scripts (webview/*.js, browser IIFE), the extension (*.js, Node CJS)
// and the static Space's blend-statistics.js and cam-overlay.js (browser ES modules).
// The extension is three files: extension.js (activation glue), core-light.js and core-api.js (loaded on first use),
// plus face-net-worker.js, the face nets' worker thread.
// Native or file-reading packages stay external and ship in node_modules (see .vscodeignore).
// Usage: node webview/build.mjs [--watch] [--minify]
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const watch = process.argv.includes("--watch");
const minify = process.argv.includes("--minify");

/** Node packages the extension loads at run time from node_modules: native code, .wasm files, or files they resolve. */
export const EXTERNALS = ["vscode", "sharp", "onnxruntime-node", "onnxruntime-web", "@tensorflow/*", "nsfwjs", "@vladmandic/face-api"];

const common = { bundle: true, minify, sourcemap: minify ? false : "linked", logLevel: "warning", absWorkingDir: root };

const builds = [
  {
    ...common,
    entryPoints: { "webview/cleaner": "webview/cleaner.ts", "webview/training": "webview/training.ts", "webview/check": "webview/check.ts", "webview/evaluation": "webview/evaluation.ts" },
    outdir: "out/dist",
    platform: "browser",
    format: "iife",
    target: "chrome120",
  },
  {
    ...common,
    // face-net-worker: the face nets' worker thread (face-net-pool.ts starts it from beside core-api.js).
    entryPoints: { extension: "src/extension/extension.ts", "core-light": "src/extension/core-light.ts", "core-api": "src/extension/core-api.ts", "face-net-worker": "src/core/face-nets/face-net-worker.ts" },
    outdir: "out/dist",
    platform: "node",
    format: "cjs",
    target: "node20",
    // The glue loads the two core files lazily with require("./core-…"): keep those calls as they are.
    external: [...EXTERNALS, "./core-light", "./core-api"],
  },
  {
    ...common,
    // The static Space measures blending statistics, searches faces and draws activation maps with the studio's own code (create-space.ts copies these files).
    entryPoints: { "space/blend-statistics": "src/core/face-features/blend-statistics.ts", "space/face-search": "src/core/face-features/face-search-in-browser.ts", "space/cam-overlay": "src/core/cam/overlay-in-browser.ts" },
    outdir: "out/dist",
    platform: "browser",
    format: "esm",
    target: "chrome120",
    sourcemap: false,
  },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log("esbuild: watching");
} else {
  const started = Date.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  console.log(`esbuild: out/dist/ bundled in ${Date.now() - started} ms`);
}

/**
 * The smallest set of onnxruntime-web files a static Space needs, copied from node_modules so the Space serves them
 * itself (no CDN): the WebAssembly-only ES module build, its Emscripten glue and the SIMD WebAssembly binary. The
 * WebGPU/WebGL/JSEP builds (tens of MB more) are left out; one-image CPU inference does not need them.
 *
 * The two ES modules are saved as .js rather than .mjs: browsers refuse a module served with a non-JavaScript MIME
 * type, and every static host knows .js. app.js points onnxruntime at the renamed glue through env.wasm.wasmPaths.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { SpaceError } from "./space-error";

/** Folder of the runtime inside the Space; app.js imports `./ort/ort.wasm.min.mjs`. */
export const ORT_FOLDER = "ort";

/** node_modules/onnxruntime-web/dist name → name in the Space's ort/ folder. */
const ORT_FILES = [
  ["ort.wasm.min.mjs", "ort.wasm.min.js"],
  ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.js"],
  ["ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.wasm"],
] as const;

/** The file names inside ort/. */
export const ORT_FILE_NAMES: readonly string[] = ORT_FILES.map(([, target]) => target);

/** Absolute source path and Space-relative target of each runtime file. */
export function ortRuntimeFiles(): Array<{ source: string; target: string }> {
  let distDir: string;
  try {
    // The package's "exports" map hides package.json; its Node entry lives in dist/ next to the browser builds.
    distDir = path.dirname(require.resolve("onnxruntime-web"));
  } catch {
    throw new SpaceError("onnxruntime-web is not installed, so a static Space cannot be written.", "space-templates-missing", ["Run `npm install` in Deepfake Detector Studio, or write a Gradio Space (", { step: "space", sdk: "gradio" }, ")."]);
  }
  return ORT_FILES.map(([name, target]) => {
    const source = path.join(distDir, name);
    if (!existsSync(source)) {
      throw new SpaceError(`onnxruntime-web is missing ${name} (looked in ${distDir}).`, "space-templates-missing", "Reinstall onnxruntime-web (npm install); its dist/ folder is incomplete.");
    }
    return { source, target: `${ORT_FOLDER}/${target}` };
  });
}

/** The onnxruntime-web version, for the README's credits. */
export function ortVersion(): string {
  try {
    const distDir = path.dirname(require.resolve("onnxruntime-web"));
    return (require(path.join(distDir, "..", "package.json")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * What a static Space of a face-crop model needs to find faces in the visitor's browser, copied from node_modules
 * into the Space's face-api/ folder so it is served by the Space itself (no CDN):
 * - face-api's browser ES module (face-api.esm.js), which bundles TensorFlow.js (core, cpu, webgl and wasm backends);
 * - the WebAssembly binaries of that bundled wasm backend (tfjs-backend-wasm*.wasm, the very backend the studio's
 *   Node side runs face-api on, so both see the same detections), with and without SIMD;
 * - both detectors and the 68-landmark net (weights manifest + .bin each): the page searches as the studio does,
 *   the recipe's detector first and the other when it finds no face (faces of whole pictures: the fast one first);
 * - face-api's licence. TensorFlow.js (Apache-2.0) is credited in the README.
 * face-crop.js (templates/static) loads them lazily, only for models that crop faces or read their blending statistics.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { FaceDetectorKind } from "../face-crop/face-crop-settings";
import { SpaceError } from "./space-error";

/** Folder of face-api inside the Space; face-crop.js imports `./face-api/face-api.esm.js`. */
export const FACE_API_FOLDER = "face-api";

/** Per detector: face-api's model file prefix (the same nets the studio loads in load-face-api.ts). */
const DETECTOR_MODELS: Record<FaceDetectorKind, string> = {
  accurate: "ssd_mobilenetv1_model",
  fast: "tiny_face_detector_model",
};
const LANDMARK_MODEL = "face_landmark_68_model";
/** The bundled wasm backend's binaries; the threaded one is left out (Spaces are not cross-origin isolated). */
const TFJS_WASM_FILES = ["tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm"] as const;

/** Absolute source path and Space-relative target of each face-api file the page's face search needs. */
export function faceApiRuntimeFiles(): Array<{ source: string; target: string }> {
  const faceApiDir = packageDir("@vladmandic/face-api");
  const wasmDir = path.join(packageDir("@tensorflow/tfjs-backend-wasm"), "dist");
  const bundled = bundledTfjsVersion(faceApiDir);
  const installed = packageVersion(path.dirname(wasmDir));
  if (bundled !== installed) {
    throw new SpaceError(`face-api's browser bundle holds TensorFlow.js ${bundled}, but @tensorflow/tfjs-backend-wasm ${installed} is installed: its WebAssembly would not match the bundle.`, "space-templates-missing", [`Install @tensorflow/tfjs-backend-wasm ${bundled} (npm install), or write a Gradio Space (`, { step: "space", sdk: "gradio" }, ")."]);
  }
  const sources = [
    path.join(faceApiDir, "dist", "face-api.esm.js"),
    path.join(faceApiDir, "LICENSE"),
    ...[DETECTOR_MODELS.fast, DETECTOR_MODELS.accurate, LANDMARK_MODEL].flatMap((model) => [path.join(faceApiDir, "model", `${model}-weights_manifest.json`), path.join(faceApiDir, "model", `${model}.bin`)]),
    ...TFJS_WASM_FILES.map((name) => path.join(wasmDir, name)),
  ];
  return sources.map((source) => {
    if (!existsSync(source)) throw new SpaceError(`${source} is missing, so the Space cannot find faces itself.`, "space-templates-missing", "Reinstall the studio's dependencies (npm install).");
    return { source, target: `${FACE_API_FOLDER}/${path.basename(source)}` };
  });
}

/** face-api's and its bundled TensorFlow.js's versions, for the README's credits. */
export function faceApiVersions(): { faceApi: string; tfjs: string } {
  try {
    const faceApiDir = packageDir("@vladmandic/face-api");
    return { faceApi: packageVersion(faceApiDir), tfjs: bundledTfjsVersion(faceApiDir) };
  } catch {
    return { faceApi: "unknown", tfjs: "unknown" };
  }
}

function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new SpaceError(`${name} is not installed, so the Space of a face-crop model cannot find faces.`, "space-templates-missing", ["Run `npm install` in Deepfake Detector Studio, or write a Gradio Space (", { step: "space", sdk: "gradio" }, ")."]);
  }
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

/** dist/tfjs.version.js: `var e="4.22.0";…`, the TensorFlow.js version bundled into face-api.esm.js. */
function bundledTfjsVersion(faceApiDir: string): string {
  const text = readFileSync(path.join(faceApiDir, "dist", "tfjs.version.js"), "utf8");
  return /"(\d+\.\d+\.\d+)"/.exec(text)?.[1] ?? "unknown";
}

/** Builds the reference face dataset in a child process, so face-api's tfjs-wasm threads and memory stay out of the training under test. */
import { execFile } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");

export function buildFaceDatasetInChild(outDir: string, perClass: number): Promise<void> {
  const module = path.join(ROOT, "out", "src", "core", "reference-data", "build-face-dataset.js");
  const script = `require(${JSON.stringify(module)}).buildFaceDataset({ outDir: ${JSON.stringify(outDir)}, perClass: ${perClass}, seed: 1 }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve()));
  });
}

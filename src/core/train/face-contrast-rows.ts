/**
 * Face contrasts of every training picture (train.faceContrast): the backbone's stride-4 and stride-8 activations
 * averaged over the face's landmark hull minus over the ring around it (face-features/face-regions.ts), computed by
 * the same ONNX graph the export carries and cached per picture content like the blending statistics. A picture
 * without a known face gets the crop recipe's window, as runners do when they find no face.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { faceRecordDir } from "../face-features/face-landmarks";
import { FACE_REGIONS_VERSION, faceRegionsOfInput } from "../face-features/face-regions";
import { concatRows } from "../shared/concat-rows";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { writeFileAtomic } from "../shared/safe-files";
import type { BackboneFeatures } from "./backbone-features";
import { readFaceInput, type BlendStatisticsSource } from "./blend-statistics-rows";
import { STUDIO_STATE_FOLDER } from "./feature-cache";
import type { Preprocess } from "./run-files";

/** Pictures run through the contrast graph together. */
const BATCH = 16;

/** Every version's and backbone's face-contrast cache (pruned after training like the blending statistics). */
export function faceContrastCacheRoot(projectDir: string): string {
  return path.join(projectDir, STUDIO_STATE_FOLDER, "face-contrast");
}

/** Parameters of computeFaceContrasts. */
export interface ComputeFaceContrastsParams extends OperationOptions {
  projectDir: string;
  sources: ReadonlyArray<BlendStatisticsSource | undefined>;
  preprocess: Pick<Preprocess, "size" | "kernel">;
  /** The backbone opened with faceContrast: its features are the contrasts. */
  contrast: BackboneFeatures;
}

/** Per source: its contrasts (contrast.info.featureLength numbers), or undefined (unreadable, or no source). */
export async function computeFaceContrasts(params: ComputeFaceContrastsParams): Promise<Array<Float32Array | undefined>> {
  const { preprocess, signal, onProgress, contrast } = params;
  const [height, width] = preprocess.size;
  const length = contrast.info.featureLength;
  const dir = path.join(faceContrastCacheRoot(params.projectDir), `v${FACE_REGIONS_VERSION}-${contrast.info.key}-${width}x${height}-${preprocess.kernel}`);
  const faces = faceRecordDir(params.projectDir);
  const fileOf = (sha256: string) => path.join(dir, sha256.slice(0, 2), `${sha256}.json`);
  const out: Array<Float32Array | undefined> = new Array(params.sources.length);
  const todo: number[] = [];
  onProgress?.({ event: "phase", phase: "features", message: `Comparing the inner face with the skin around it in ${params.sources.length} picture(s)` });
  await runBounded(params.sources.map((source, index) => ({ source, index })), 4, async ({ source, index }) => {
    if (!source) return;
    const cached = await fs.readFile(fileOf(source.sha256), "utf8").then((text) => JSON.parse(text) as { contrast?: number[] }, () => undefined);
    if (cached?.contrast?.length === length) out[index] = Float32Array.from(cached.contrast);
    else todo.push(index);
  }, signal);
  todo.sort((a, b) => a - b);
  let done = params.sources.length - todo.length;
  const perImage = height * width * 3;
  for (let start = 0; start < todo.length; start += BATCH) {
    throwIfAborted(signal, "training");
    const chunk = todo.slice(start, start + BATCH);
    const read = await Promise.all(chunk.map((index) => readFaceInput(params.sources[index]!, faces, preprocess)));
    const ready = chunk.filter((_, k) => read[k] !== undefined);
    const inputs = read.filter((face): face is NonNullable<typeof face> => face !== undefined);
    if (ready.length > 0) {
      const images = new Float32Array(ready.length * perImage);
      const regions: Float32Array[] = [];
      inputs.forEach((face, k) => {
        images.set(face.input, k * perImage);
        regions.push(faceRegionsOfInput({ size: preprocess.size, landmarks: face.landmarks, from: face.from }));
      });
      const values = await contrast.extract(images, ready.length, concatRows(regions));
      await Promise.all(ready.map(async (index, k) => {
        const vector = values.slice(k * length, (k + 1) * length);
        out[index] = vector;
        await writeFileAtomic(fileOf(params.sources[index]!.sha256), Buffer.from(JSON.stringify({ contrast: Array.from(vector) })));
      }));
    }
    done += chunk.length;
    onProgress?.({ event: "progress", phase: "features", done, total: params.sources.length, message: "face contrasts" });
  }
  return out;
}

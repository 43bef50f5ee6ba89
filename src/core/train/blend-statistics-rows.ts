/**
 * Blending statistics of every training picture (face-features/blend-statistics.ts), measured on the model's input
 * picture inside the face's landmarks, and cached per picture content like the backbone's features. Landmarks come
 * from the face crop made at training, from the picture's remembered face, or (a synthesized fake) from the face of
 * the picture it was made from, whose geometry it keeps.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { faceRecordDir, findPictureFace } from "../face-features/face-landmarks";
import { BLEND_STATISTICS_COUNT, BLEND_STATISTICS_VERSION, blendStatisticsOfInput } from "../face-features/blend-statistics";
import { decodeImagePixels } from "../shared/decode-image-pixels";
import { loadImageTensor } from "../shared/load-image-tensor";
import type { FacePoint } from "../face-nets/detect-faces";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { writeFileAtomic } from "../shared/safe-files";
import { STUDIO_STATE_FOLDER } from "./feature-cache";
import type { Preprocess } from "./run-files";

/** One picture to measure: how to get its bytes and its face. */
export interface BlendStatisticsSource {
  /** Feature-cache key of the picture (content, plus the crop recipe when cropped at training). */
  sha256: string;
  /** The model-input picture's bytes (the file, or the crop made at training). */
  bytes: () => Promise<Uint8Array | undefined>;
  /** Landmarks already known in those bytes' pixels (a crop made at training). */
  landmarks?: () => Promise<FacePoint[] | undefined>;
  /** Else the face of these bytes (the picture itself, or a fake's source) is looked up or detected. */
  faceOf: () => Promise<Uint8Array | undefined>;
}

/** Parameters of computeBlendStatistics. */
export interface ComputeBlendStatisticsParams extends OperationOptions {
  projectDir: string;
  sources: ReadonlyArray<BlendStatisticsSource | undefined>;
  preprocess: Pick<Preprocess, "size" | "kernel">;
}

/** <projectDir>/.deepfake-studio/blend-statistics/: a folder per statistics version, input size and kernel. */
export function blendStatisticsCacheRoot(projectDir: string): string {
  return path.join(projectDir, STUDIO_STATE_FOLDER, "blend-statistics");
}

/** Per source: its statistics, or undefined (no face, unreadable, or no source). */
export async function computeBlendStatistics(params: ComputeBlendStatisticsParams): Promise<Array<Float32Array | undefined>> {
  const { preprocess, signal, onProgress } = params;
  const [height, width] = preprocess.size;
  const dir = path.join(blendStatisticsCacheRoot(params.projectDir), `v${BLEND_STATISTICS_VERSION}-${width}x${height}-${preprocess.kernel}`);
  const faces = faceRecordDir(params.projectDir);
  const out: Array<Float32Array | undefined> = new Array(params.sources.length);
  let done = 0;
  onProgress?.({ event: "phase", phase: "features", message: `Measuring blending statistics inside the faces of ${params.sources.length} picture(s)` });
  await runBounded(params.sources.map((source, index) => ({ source, index })), 2, async ({ source, index }) => {
    throwIfAborted(signal, "training");
    if (!source) return;
    const file = path.join(dir, source.sha256.slice(0, 2), `${source.sha256}.json`);
    const cached = await fs.readFile(file, "utf8").then((text) => JSON.parse(text) as { statistics?: number[] }, () => undefined);
    if (cached && (cached.statistics === undefined || cached.statistics.length === BLEND_STATISTICS_COUNT)) {
      out[index] = cached.statistics ? Float32Array.from(cached.statistics) : undefined;
    } else {
      const statistics = await measure(source, faces, preprocess);
      out[index] = statistics;
      await writeFileAtomic(file, Buffer.from(JSON.stringify(statistics ? { statistics: Array.from(statistics) } : {})));
    }
    done += 1;
    if (done % 16 === 0 || done === params.sources.length) onProgress?.({ event: "progress", phase: "features", done, total: params.sources.length, message: "blending statistics" });
  }, signal);
  return out;
}

async function measure(source: BlendStatisticsSource, faces: string, preprocess: ComputeBlendStatisticsParams["preprocess"]): Promise<Float32Array | undefined> {
  // Without a face there is nothing to measure: the picture is not decoded.
  const landmarks = await findSourceLandmarks(source, faces);
  if (!landmarks) return undefined;
  const face = await readFaceInput(source, faces, preprocess, landmarks);
  return face && blendStatisticsOfInput({ input: face.input, size: preprocess.size, landmarks, from: face.from });
}

/** The landmarks a source knows, else those of the face found in its face picture. */
async function findSourceLandmarks(source: BlendStatisticsSource, faces: string): Promise<FacePoint[] | undefined> {
  const known = await source.landmarks?.();
  if (known) return known;
  const faceBytes = await source.faceOf();
  return faceBytes ? (await findPictureFace({ dir: faces, bytes: faceBytes })).landmarks : undefined;
}

/** A source's model-input pixels and its face's landmarks (in the pixels of `from`, the decoded picture); undefined: unreadable. */
export async function readFaceInput(source: BlendStatisticsSource, faces: string, preprocess: ComputeBlendStatisticsParams["preprocess"], known?: FacePoint[]): Promise<{ input: Float32Array; landmarks?: FacePoint[]; from: { width: number; height: number } } | undefined> {
  const bytes = await source.bytes();
  if (!bytes) return undefined;
  const landmarks = known ?? (await findSourceLandmarks(source, faces));
  const decoded = await decodeImagePixels({ source: bytes });
  const input = await loadImageTensor({ source: decoded, preprocess });
  return { input, landmarks, from: decoded };
}

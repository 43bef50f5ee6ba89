/** A project of real face crops with their faces remembered (no detector needed in training), plus held-out crops; and check's scorer compared with predict. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { createFaceScorer } from "../../src/core/check/create-face-scorer";
import { decodePicture, detectLargestFace, rememberFace } from "../../src/core/face-features/face-landmarks";
import { createOnnxSession } from "../../src/core/onnx/onnx-session";
import type { LoadedExport } from "../../src/core/predict/load-export";
import type { Prediction, PredictResult } from "../../src/core/predict/predict";
import { drawCropVariation } from "../../src/core/reference-data/crop-variation";
import type { SourceFaces } from "../../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../../src/core/reference-data/render-face-sample";
import { createSeededRandom } from "../../src/core/shared/seeded-random";

const SIZE = 224;

async function writeJpeg(file: string, pixels: Uint8Array): Promise<Buffer> {
  const jpeg = await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, jpeg);
  return jpeg;
}

/** `data/Real` of `projectDir`: `perFace` crops of each of the first `trainFaces` faces; returns crops of the next `heldFaces` faces, written under `heldDir`. */
export async function writeRealFaceProject(params: { projectDir: string; heldDir: string; faces: SourceFaces; trainFaces: number; perFace: number; heldFaces: number; seed: number }): Promise<string[]> {
  const { faces, projectDir } = params;
  const random = createSeededRandom(params.seed);
  for (const [f, face] of faces.faces.slice(0, params.trainFaces).entries()) {
    for (let k = 0; k < params.perFace; k++) {
      const real = renderFaceSample({ photos: faces.photos, face, variation: drawCropVariation(random.derive(1, f, k)), size: SIZE });
      const jpeg = await writeJpeg(path.join(projectDir, "data", "Real", `f${f}-${k}.jpg`), real.pixels);
      await rememberFace({ projectDir, sha256: createHash("sha256").update(jpeg).digest("hex"), landmarks: real.landmarks });
    }
  }
  const held: string[] = [];
  for (const [f, face] of faces.faces.slice(params.trainFaces, params.trainFaces + params.heldFaces).entries()) {
    const real = renderFaceSample({ photos: faces.photos, face, variation: drawCropVariation(random.derive(2, f)), size: SIZE });
    held.push(path.join(params.heldDir, `f${f}.jpg`));
    await writeJpeg(held[held.length - 1], real.pixels);
  }
  return held;
}

/** check's scorer, given each picture and its face's landmarks, scores it as predict scored it; returns how many faces were found. */
export async function assertCheckScoresLikePredict(loaded: LoadedExport, files: readonly string[], results: readonly PredictResult[]): Promise<number> {
  const session = await createOnnxSession(loaded.modelBytes);
  let withFace = 0;
  try {
    const scorer = createFaceScorer({ session, exported: loaded });
    for (const [i, file] of files.entries()) {
      const picture = await decodePicture(file);
      const face = await detectLargestFace(picture);
      if (face) withFace += 1;
      const scored = scorer.score({ pixels: picture.data, size: SIZE, landmarks: face?.landmarks });
      await scorer.flush();
      const probabilities = await scored;
      const predicted = results[i] as Prediction;
      loaded.labels.forEach((label, k) => assert.ok(Math.abs(probabilities[k] - predicted.probabilities[label]) < 1e-5, `${label}: check ${probabilities[k]} vs predict ${predicted.probabilities[label]}`));
    }
  } finally {
    await session.release();
  }
  return withFace;
}

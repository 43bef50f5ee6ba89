/**
 * The largest face of a picture with its 68 landmarks, detected once per picture content and remembered under the
 * project's .deepfake-studio/ (synthesis blends along them, training and predict measure blending statistics inside
 * them). An answer of "no face" is remembered too, so a picture without one costs one detection ever.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { detectStillFaces } from "../face-crop/detect-still-faces";
import type { DetectedFace, FacePoint } from "../face-nets/detect-faces";
import { faceFrame } from "../face-nets/face-frame";
import { writeFileAtomic } from "../shared/safe-files";
import { detectTiltedFaces } from "./detect-tilted-face";

/** Where the records live; the synthesis cache's folder, whose records are the same (kept so old caches stay valid). */
export function faceRecordDir(projectDir: string): string {
  return path.join(projectDir, ".deepfake-studio", "synthesized", "sb1");
}

/** Bumped when detection finds faces it missed before: a remembered "no face" of an older search is searched again. */
const FACE_SEARCH_VERSION = 2;

/** Faces whose eyes are closer than this (pixels) are too small to blend visibly. */
export const MIN_EYE_DISTANCE = 12;

/** A picture's face as remembered: landmarks in its upright pixels, or why there are none. */
export interface RememberedFace {
  sha256: string;
  landmarks?: FacePoint[];
  reason?: string;
}

/** RGB bytes, upright (EXIF orientation applied, as training decodes). */
export interface DecodedPicture {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decodes a picture upright, as training does. */
export async function decodePicture(input: string | Uint8Array): Promise<DecodedPicture> {
  const { data, info } = await sharp(input).rotate().removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The largest face of the picture's bytes, from the record or the detector (whose answer is then recorded). */
export async function findPictureFace(params: { dir: string; bytes: Uint8Array; sha256?: string }): Promise<RememberedFace> {
  const sha256 = params.sha256 ?? createHash("sha256").update(params.bytes).digest("hex");
  const record = faceRecordFile(params.dir, sha256);
  const cached = await fs.readFile(record, "utf8").then((text) => JSON.parse(text) as { landmarks?: FacePoint[]; reason?: string; search?: number }, () => undefined);
  const missedBefore = cached?.reason === NO_FACE && (cached.search ?? 1) < FACE_SEARCH_VERSION;
  if (cached && !missedBefore && (Array.isArray(cached.landmarks) || typeof cached.reason === "string")) return { sha256, landmarks: cached.landmarks, reason: cached.reason };
  let found: { landmarks?: FacePoint[]; reason?: string; search?: number };
  try {
    const largest = await detectLargestFace(await decodePicture(params.bytes));
    const eyes = largest && faceFrame(largest.landmarks).eyeDistance;
    found = !largest ? { reason: NO_FACE, search: FACE_SEARCH_VERSION } : eyes! < MIN_EYE_DISTANCE ? { reason: `the face is too small (eyes ${eyes!.toFixed(0)} px apart)` } : { landmarks: largest.landmarks };
  } catch (error) {
    return { sha256, reason: `cannot be decoded (${(error as Error).message})` };
  }
  await writeFileAtomic(record, Buffer.from(JSON.stringify(found)));
  return { sha256, landmarks: found.landmarks, reason: found.reason };
}

/** Records where the face of a picture is, so nothing needs to detect it (the demo drew its crops and knows); an answer already recorded is kept. */
export async function rememberFace(params: { projectDir: string; sha256: string; landmarks: readonly FacePoint[] }): Promise<void> {
  const record = faceRecordFile(faceRecordDir(params.projectDir), params.sha256);
  if (await fs.access(record).then(() => true, () => false)) return;
  await writeFileAtomic(record, Buffer.from(JSON.stringify({ landmarks: params.landmarks })));
}

/**
 * The largest face with its landmarks: the fast detector first, the accurate one when it finds none (face crops often
 * need it), and both again on the picture turned both ways when the head is tilted too far for them.
 */
export async function detectLargestFace(image: DecodedPicture): Promise<DetectedFace | undefined> {
  const detect = async (picture: DecodedPicture) => {
    const { faces } = await detectStillFaces({ image: picture, detector: "fast", plausibleOnly: true });
    return faces.length > 0 ? faces : (await detectStillFaces({ image: picture, detector: "accurate", plausibleOnly: true })).faces;
  };
  let faces = await detect(image);
  if (faces.length === 0) faces = await detectTiltedFaces(image, detect);
  return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
}

const NO_FACE = "no face found";

function faceRecordFile(dir: string, sha256: string): string {
  return path.join(dir, sha256.slice(0, 2), `${sha256}-face.json`);
}

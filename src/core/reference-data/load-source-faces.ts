/** Decodes the reference photos and finds every face in them; detections are cached for the life of the process. */
import sharp from "sharp";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { detectFaces, type DetectedFace } from "../face-nets/detect-faces";
import { listFacePhotoSources } from "./face-photo-sources";
import type { RgbImage } from "./rgb-image";

/** A decoded reference photo. */
export interface SourcePhoto {
  source: string;
  image: RgbImage & { data: Uint8Array };
}

/** One usable face: which photo, its left-to-right index there, and its detection. */
export interface SourceFace extends DetectedFace {
  photo: number;
  source: string;
  faceIndex: number;
}

/** Decoded photos and the usable faces found in them. */
export interface SourceFaces {
  photos: SourcePhoto[];
  faces: SourceFace[];
}

/** Faces whose eyes are closer than this (in source pixels) are too small to crop at 224 px without looking blurry. */
const MIN_EYE_DISTANCE = 24;

const detections = new Map<string, Promise<DetectedFace[]>>();

/** Loads every installed reference photo and its faces; throws when fewer than two faces (a swap needs a donor) exist. */
export async function loadSourceFaces(options: OperationOptions = {}): Promise<SourceFaces> {
  const sources = listFacePhotoSources();
  const photos: SourcePhoto[] = [];
  const faces: SourceFace[] = [];
  options.onProgress?.({ event: "phase", phase: "faces", message: `Finding faces in ${sources.length} reference photos` });
  for (const [index, { source, path }] of sources.entries()) {
    throwIfAborted(options.signal, "face dataset build");
    const { data, info } = await sharp(path).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
    photos.push({ source, image });
    const found = await cachedDetect(path, image);
    found.filter(isUsable).forEach((face, faceIndex) => faces.push({ ...face, photo: index, source, faceIndex }));
    options.onProgress?.({ event: "progress", phase: "faces", done: index + 1, total: sources.length, message: `${faces.length} faces so far` });
  }
  if (faces.length < 2) {
    throw new StudioError(`Only ${faces.length} face(s) were found in the reference photos; at least two are needed.`, "no-faces", "Reinstall the development dependencies (`npm install`): the photos come from @vladmandic/face-api.");
  }
  return { photos, faces };
}

/** Runs detection once per photo path per process; a failure is not cached. */
function cachedDetect(path: string, image: RgbImage & { data: Uint8Array }): Promise<DetectedFace[]> {
  let pending = detections.get(path);
  if (pending === undefined) {
    pending = detectFaces(image);
    detections.set(path, pending);
    pending.catch(() => detections.delete(path));
  }
  return pending;
}

/** Keeps faces large enough and with both eyes found (benches that take faces from other pictures keep them the same way). */
export function isUsable(face: DetectedFace): boolean {
  const eye = (from: number): { x: number; y: number } => {
    const points = face.landmarks.slice(from, from + 6);
    return { x: points.reduce((s, p) => s + p.x, 0) / 6, y: points.reduce((s, p) => s + p.y, 0) / 6 };
  };
  const left = eye(36);
  const right = eye(42);
  return face.landmarks.length === 68 && Math.hypot(right.x - left.x, right.y - left.y) >= MIN_EYE_DISTANCE;
}

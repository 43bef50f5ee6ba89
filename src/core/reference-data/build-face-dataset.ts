/**
 * Builds a small real-vs-deepfake face dataset offline from photos inside installed npm packages:
 * "Real" = face crops, "Deepfake" = the same kind of crops after a crude local face swap.
 * Everything is seeded, so the same seed writes byte-identical JPEGs.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { writeFileAtomic } from "../shared/safe-files";
import type { FaceBox, FacePoint } from "../face-nets/detect-faces";
import { drawCropVariation, type CropVariation } from "./crop-variation";
import { pickDonor } from "./pick-donor";
import { drawSelfBlendRecipe, selfBlend, type SelfBlendRecipe } from "../synthesize/self-blend";
import { loadSourceFaces, type SourceFace, type SourcePhoto } from "./load-source-faces";
import { renderFaceSample } from "./render-face-sample";
import { createSeededRandom, type SeededRandom } from "../shared/seeded-random";

export type FaceDatasetLabel = "Real" | "Deepfake";

export interface BuildFaceDatasetParams extends OperationOptions {
  /** Receives Real/, Deepfake/ and provenance.json. */
  outDir: string;
  /** Images per class (default 60). */
  perClass?: number;
  /** Same seed, same bytes (default 1). */
  seed?: number;
  /** Output side in pixels; crops are square (default 224). */
  size?: number;
  /** JPEG quality 1-100, shared by both classes (default 90). */
  jpegQuality?: number;
  /**
   * What the fakes are (default "other-person"): another person's inner face pasted in, or "same-person" fakes that keep
   * the identity: a self-blend (the face blended with an altered copy of itself) or a swap with its own mirror image.
   */
  fakes?: "other-person" | "same-person";
}

/** Provenance of one written image. */
export interface FaceDatasetItem {
  /** Absolute path of the JPEG. */
  file: string;
  label: FaceDatasetLabel;
  /** Package, version and file of the photo the face comes from, e.g. "@vladmandic/face-api@1.7.15/demo/sample1.jpg". */
  source: string;
  /** Index of the face in that photo, left to right. */
  faceIndex: number;
  variation: CropVariation;
  /** Deepfakes only: whose inner face was pasted in, and whether it was mirrored. */
  donor?: { source: string; faceIndex: number; mirrored: boolean };
  /** Same-person deepfakes: how the face was manipulated (a self-blend's recipe, or a swap with its own mirror image). */
  fake?: { kind: "self-blend"; recipe: SelfBlendRecipe } | { kind: "same-person-swap" };
  /** The same in one human-readable line. */
  note: string;
  /** The face's 68 landmarks in the written image (returned, not written to provenance.json). */
  landmarks?: FacePoint[];
}

/** One face found in the reference photos. */
export interface FaceDatasetSourceFace {
  source: string;
  faceIndex: number;
  score: number;
  box: FaceBox;
}

export interface FaceDataset {
  realDir: string;
  fakeDir: string;
  items: FaceDatasetItem[];
  sourceFaces: FaceDatasetSourceFace[];
}

const DEFAULTS = { perClass: 60, seed: 1, size: 224, jpegQuality: 90 };
const PROVENANCE_FILE = "provenance.json";
const FILE_PATTERN = /^(real|deepfake)-\d+\.jpg$/;

/** Writes outDir/Real/*.jpg and outDir/Deepfake/*.jpg (perClass each) plus provenance.json, and returns the provenance. */
export async function buildFaceDataset(params: BuildFaceDatasetParams): Promise<FaceDataset> {
  const settings = validate(params);
  const realDir = path.join(params.outDir, "Real");
  const fakeDir = path.join(params.outDir, "Deepfake");
  const { photos, faces } = await loadSourceFaces({ onProgress: params.onProgress, signal: params.signal });
  const random = createSeededRandom(settings.seed);
  // Both classes walk the same face order, so every person appears equally often in each: identity is no cue.
  const order = random.derive(0).shuffle(faces);
  const items: FaceDatasetItem[] = [];
  await Promise.all([realDir, fakeDir].map((dir) => mkdir(dir)));
  params.onProgress?.({ event: "phase", phase: "generate", message: `Writing ${settings.perClass} real and ${settings.perClass} ${settings.fakes === "same-person" ? "same-person fake" : "swapped"} face crops` });
  const total = settings.perClass * 2;
  for (let i = 0; i < settings.perClass; i++) {
    for (const label of ["Real", "Deepfake"] as const) {
      throwIfAborted(params.signal, "face dataset build");
      const face = order[i % order.length];
      // One stream per (class, index): sample i is the same whatever perClass is, and the classes draw independently.
      const sampleRandom = random.derive(label === "Real" ? 1 : 2, i);
      const variation = drawCropVariation(sampleRandom);
      const fake = label === "Deepfake" ? await drawFake(settings.fakes, face, faces, photos, sampleRandom) : undefined;
      const { pixels, landmarks } = renderFaceSample({ photos: fake?.photos ?? photos, face, donor: fake?.donor, variation, size: settings.size });
      const jpeg = await sharp(pixels, { raw: { width: settings.size, height: settings.size, channels: 3 } })
        .jpeg({ quality: settings.jpegQuality, chromaSubsampling: "4:2:0" })
        .toBuffer();
      const file = path.join(label === "Real" ? realDir : fakeDir, `${label.toLowerCase()}-${String(i + 1).padStart(4, "0")}.jpg`);
      await writeFileAtomic(file, jpeg);
      items.push({ ...provenanceOf({ file, label, face, variation, donor: fake?.donor, fake: fake?.record }), landmarks });
      params.onProgress?.({ event: "progress", phase: "generate", done: items.length, total });
    }
  }
  await removeStale(realDir, fakeDir, items);
  const sourceFaces = faces.map(({ source, faceIndex, score, box }) => ({ source, faceIndex, score, box }));
  const provenance = { seed: settings.seed, fakes: settings.fakes, size: settings.size, jpegQuality: settings.jpegQuality, sourceFaces, items: items.map(({ landmarks: _landmarks, ...item }) => ({ ...item, file: path.relative(params.outDir, item.file) })) };
  await writeFileAtomic(path.join(params.outDir, PROVENANCE_FILE), Buffer.from(`${JSON.stringify(provenance, null, 2)}\n`));
  return { realDir, fakeDir, items, sourceFaces };
}

/** Fills in defaults and rejects values that would write nothing useful. */
function validate(params: BuildFaceDatasetParams): Required<Pick<BuildFaceDatasetParams, "perClass" | "seed" | "size" | "jpegQuality" | "fakes">> {
  const settings = {
    perClass: params.perClass ?? DEFAULTS.perClass,
    seed: params.seed ?? DEFAULTS.seed,
    size: params.size ?? DEFAULTS.size,
    jpegQuality: params.jpegQuality ?? DEFAULTS.jpegQuality,
    fakes: params.fakes ?? "other-person",
  };
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new StudioError(message, "invalid-argument");
  };
  check(Number.isInteger(settings.perClass) && settings.perClass >= 1 && settings.perClass <= 9999, `perClass must be a whole number from 1 to 9999, got ${settings.perClass}.`);
  check(Number.isInteger(settings.seed), `seed must be a whole number, got ${settings.seed}.`);
  check(Number.isInteger(settings.size) && settings.size >= 32 && settings.size <= 1024, `size must be a whole number from 32 to 1024, got ${settings.size}.`);
  check(Number.isInteger(settings.jpegQuality) && settings.jpegQuality >= 1 && settings.jpegQuality <= 100, `jpegQuality must be a whole number from 1 to 100, got ${settings.jpegQuality}.`);
  return settings;
}

/** The fake of one sample: another person's face, or the same person's (a self-blend of the photo, or a swap with its mirror image). */
async function drawFake(kind: "other-person" | "same-person", face: SourceFace, faces: readonly SourceFace[], photos: readonly SourcePhoto[], random: SeededRandom): Promise<{
  donor?: { face: SourceFace; mirror: boolean };
  photos?: SourcePhoto[];
  record?: FaceDatasetItem["fake"];
}> {
  if (kind === "other-person") return { donor: pickOtherPerson(face, faces, random) };
  // Two self-blends for every mirror swap: the blends vary far more (mask, colour, sharpness, resampling, JPEG).
  if (random.chance(1 / 3)) return { donor: { face, mirror: true }, record: { kind: "same-person-swap" } };
  const recipe = drawSelfBlendRecipe(random);
  const photo = photos[face.photo];
  const blended = await selfBlend({ image: photo.image, landmarks: face.landmarks, recipe });
  const changed = photos.map((p, index) => (index === face.photo ? { ...p, image: { ...p.image, data: blended.pixels } } : p));
  return { photos: changed, record: { kind: "self-blend", recipe } };
}

/** Chooses another person whose head turns the same way (mirroring them if that matches better), at random among the closest few. */
function pickOtherPerson(target: SourceFace, faces: readonly SourceFace[], random: SeededRandom): { face: SourceFace; mirror: boolean } {
  const others = faces.filter((face) => face !== target);
  const { index, mirror } = pickDonor(target.landmarks, others.map((face) => face.landmarks), random);
  return { face: others[index], mirror };
}

/** Builds the provenance record of one written image. */
function provenanceOf(args: { file: string; label: FaceDatasetLabel; face: SourceFace; variation: CropVariation; donor?: { face: SourceFace; mirror: boolean }; fake?: FaceDatasetItem["fake"] }): FaceDatasetItem {
  const { file, label, face, variation, donor, fake } = args;
  const v = variation;
  const framing = `margin ${v.margin}, offset ${v.offsetX}/${v.offsetY}, rotation ${v.rotation}°, ${v.flip ? "flipped" : "not flipped"}, brightness ${v.brightness}`;
  const swap = fake?.kind === "self-blend"
    ? "; self-blended (its own face, altered, blended back in)"
    : fake?.kind === "same-person-swap"
      ? "; swapped with its own mirror image"
      : donor === undefined ? "" : `; inner face of ${donor.face.source} face ${donor.face.faceIndex}${donor.mirror ? " (mirrored)" : ""}`;
  return {
    file,
    label,
    source: face.source,
    faceIndex: face.faceIndex,
    variation,
    ...(donor === undefined ? {} : { donor: { source: donor.face.source, faceIndex: donor.face.faceIndex, mirrored: donor.mirror } }),
    ...(fake === undefined ? {} : { fake }),
    note: `${label === "Real" ? "Real" : fake ? "Manipulated" : "Swapped"} face ${face.faceIndex} of ${face.source}; ${framing}${swap}`,
  };
}

/** Creates a folder, with a helpful error when it cannot be. */
async function mkdir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw describeFsError(error, dir);
  }
}

/** Deletes images (and temp files) an earlier, larger build left, so the folders hold exactly this build. */
async function removeStale(realDir: string, fakeDir: string, items: readonly FaceDatasetItem[]): Promise<void> {
  const keep = new Set(items.map((item) => item.file));
  for (const dir of [realDir, fakeDir]) {
    for (const name of await fs.readdir(dir)) {
      const full = path.join(dir, name);
      const ours = FILE_PATTERN.test(name) || /^(real|deepfake)-\d+\.jpg\.\d+\.tmp$/.test(name);
      if (ours && !keep.has(full)) await fs.rm(full, { force: true });
    }
  }
}

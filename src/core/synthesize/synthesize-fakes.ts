/**
 * Same-person fakes made from real pictures: self-blends of each picture's face, and swaps between two pictures of a
 * group (same label, same split), so identity is never what tells real from fake. Outputs are PNG (lossless: outside
 * the blend the pixels stay exactly the source's, so a second JPEG compression cannot become the cue) and are cached
 * by content under <projectDir>/.deepfake-studio/synthesized/, keyed by the source's sha256, the seed and the recipe
 * version, so a second run reads them back.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { decodePicture, faceRecordDir, findPictureFace, type DecodedPicture } from "../face-features/face-landmarks";
import type { FacePoint } from "../face-nets/detect-faces";
import { pickDonor } from "../reference-data/pick-donor";
import { swapFace } from "../reference-data/swap-face";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { writeFileAtomic } from "../shared/safe-files";
import { createSeededRandom } from "../shared/seeded-random";
import { drawSelfBlendRecipe, selfBlend, type SelfBlendRecipe } from "./self-blend";

/** Bump when synthesis changes pixels, so cached outputs of the old recipe are not reused. */
export const SYNTHESIS_VERSION = "sb1";

/** One real picture to synthesize from. */
export interface SynthesisSource {
  /** Absolute path. */
  file: string;
  /** Pictures with the same group may be swapped with each other (same label and split: the same person, no leak). */
  group: string;
}

/** Provenance of one synthesized picture. */
export interface SynthesizedFake {
  /** The PNG (in the cache, or wherever the caller copied it). */
  file: string;
  kind: "self-blend" | "same-person-swap";
  /** Which of the source's outputs this is (self-blends 0..perImage-1; the swap is 0). */
  index: number;
  source: { file: string; sha256: string };
  seed: number;
  version: string;
  /** Self-blends: every transform with its parameters and the mask's shape. */
  recipe?: SelfBlendRecipe;
  /** Swaps: whose inner face was pasted in (another picture of the group), mirrored or not. */
  donor?: { file: string; sha256: string; mirrored: boolean };
}

/** Parameters of synthesizeFakes. */
export interface SynthesizeFakesParams extends OperationOptions {
  sources: readonly SynthesisSource[];
  /** Self-blends per picture (0 makes none). */
  perImage: number;
  /** Also one same-person swap per picture whose group has another picture with a face (default true). */
  swaps?: boolean;
  seed: number;
  /** The project folder; the cache lives in its .deepfake-studio/synthesized/. */
  projectDir: string;
}

/** Result of synthesizeFakes, in source order. */
export interface SynthesizeFakesResult {
  fakes: SynthesizedFake[];
  /** Sources that gave nothing, and why (no face, unreadable). */
  skipped: Array<{ file: string; reason: string }>;
  /** Outputs read from the cache vs made now. */
  cache: { dir: string; hits: number; made: number };
}

interface SourceFace {
  source: SynthesisSource;
  sha256: string;
  landmarks?: FacePoint[];
  reason?: string;
}

/** Makes (or reads back) the fakes of every source. */
export async function synthesizeFakes(params: SynthesizeFakesParams): Promise<SynthesizeFakesResult> {
  const { signal, onProgress } = params;
  const dir = synthesisCacheDir(params.projectDir);
  onProgress?.({ event: "phase", phase: "synthesize", message: `Finding the faces of ${params.sources.length} real picture(s) for same-person fakes` });
  const faces: SourceFace[] = [];
  for (const [i, source] of params.sources.entries()) {
    throwIfAborted(signal, "synthesis");
    faces.push(await findFace(faceRecordDir(params.projectDir), source));
    onProgress?.({ event: "progress", phase: "synthesize", done: i + 1, total: params.sources.length, message: "faces" });
  }
  const withFace = faces.filter((face) => face.landmarks !== undefined);
  const fakes: SynthesizedFake[] = [];
  const cache = { dir, hits: 0, made: 0 };
  onProgress?.({ event: "phase", phase: "synthesize", message: `Synthesizing same-person fakes of ${withFace.length} face(s)` });
  for (const [i, face] of withFace.entries()) {
    throwIfAborted(signal, "synthesis");
    // One stream per source, from its content: a picture's fakes do not change when others are added or removed.
    const random = createSeededRandom(params.seed).derive(parseInt(face.sha256.slice(0, 8), 16), parseInt(face.sha256.slice(8, 16), 16));
    let decoded: Promise<DecodedPicture> | undefined;
    const pixels = () => (decoded ??= decodePicture(face.source.file));
    for (let k = 0; k < params.perImage; k++) {
      const recipe = drawSelfBlendRecipe(random.derive(1, k));
      const fake: SynthesizedFake = { file: outputFile(dir, face.sha256, `s${params.seed}-blend${k}`), kind: "self-blend", index: k, source: { file: face.source.file, sha256: face.sha256 }, seed: params.seed, version: SYNTHESIS_VERSION, recipe };
      await produce(fake, cache, async () => {
        const image = await pixels();
        return { ...image, data: (await selfBlend({ image, landmarks: face.landmarks!, recipe })).pixels };
      });
      fakes.push(fake);
    }
    const donors = params.swaps === false ? [] : withFace.filter((other) => other !== face && other.source.group === face.source.group && other.sha256 !== face.sha256);
    if (donors.length > 0) {
      const choice = pickDonor(face.landmarks!, donors.map((donor) => donor.landmarks!), random.derive(2));
      const donor = donors[choice.index];
      const fake: SynthesizedFake = {
        file: outputFile(dir, face.sha256, `s${params.seed}-swap-${donor.sha256.slice(0, 16)}${choice.mirror ? "m" : ""}`),
        kind: "same-person-swap", index: 0, source: { file: face.source.file, sha256: face.sha256 }, seed: params.seed, version: SYNTHESIS_VERSION,
        donor: { file: donor.source.file, sha256: donor.sha256, mirrored: choice.mirror },
      };
      await produce(fake, cache, async () => {
        const image = await pixels();
        const target = { data: Float32Array.from(image.data), width: image.width, height: image.height };
        swapFace({ target, targetLandmarks: face.landmarks!, donor: await decodePicture(donor.source.file), donorLandmarks: donor.landmarks!, mirror: choice.mirror });
        return { ...image, data: Uint8Array.from(target.data, (v) => Math.round(v)) };
      });
      fakes.push(fake);
    }
    onProgress?.({ event: "progress", phase: "synthesize", done: i + 1, total: withFace.length, message: "pictures" });
  }
  const skipped = faces.filter((face) => face.reason !== undefined).map((face) => ({ file: face.source.file, reason: face.reason! }));
  return { fakes, skipped, cache };
}

/** <projectDir>/.deepfake-studio/synthesized/: a folder per recipe version (sb1 also holds the face records). */
export function synthesisCacheRoot(projectDir: string): string {
  return path.join(projectDir, ".deepfake-studio", "synthesized");
}

/** <projectDir>/.deepfake-studio/synthesized/<version>/ */
export function synthesisCacheDir(projectDir: string): string {
  return path.join(synthesisCacheRoot(projectDir), SYNTHESIS_VERSION);
}

/** The picture's face, or why it has none (unreadable files included). */
async function findFace(dir: string, source: SynthesisSource): Promise<SourceFace> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(source.file);
  } catch (error) {
    return { source, sha256: "", reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  return { source, ...(await findPictureFace({ dir, bytes })) };
}

/** Reads the output back when cached, else renders and stores it (PNG + provenance JSON). */
async function produce(fake: SynthesizedFake, cache: { hits: number; made: number }, render: () => Promise<DecodedPicture>): Promise<void> {
  if (await fs.access(fake.file).then(() => true, () => false)) {
    cache.hits += 1;
    return;
  }
  const { data, width, height } = await render();
  const png = await sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
  await writeFileAtomic(fake.file, png);
  cache.made += 1;
}

/** <dir>/<sha[0:2]>/<sha>-<name>.png */
function outputFile(dir: string, sha256: string, name: string): string {
  return path.join(dir, sha256.slice(0, 2), `${sha256}-${name}.png`);
}

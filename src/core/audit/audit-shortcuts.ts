/**
 * The shortcut audit after training: can something other than manipulation tell the classes apart? Face identity
 * (face-api descriptors) is the dangerous one: "Deepfake" pictures that show other people let a model learn who is
 * in the picture and still pass its own validation, then miss a deepfake that keeps the person's face. Picture
 * size, border and JPEG bytes per pixel are checked the same way. Each cue alone is scored by a cross-validated
 * logistic regression on a seeded sample of each class; a cue that reaches SEPARATES is reported in plain words.
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { resolveFakeLabel } from "../shared/resolve-fake-label";
import { createSeededRandom } from "../shared/seeded-random";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { crossValidatedAccuracy } from "./cross-validated-accuracy";
import { SEPARATES } from "./describe-audit";
import { faceIdentityDescriptor } from "./face-identity-descriptor";
import { pictureCues, type PictureCues } from "./picture-cues";
import type { ShortcutAudit, ShortcutCheck, ShortcutCue } from "./shortcut-audit";

/** Pictures sampled per class: enough to tell 0.9 from 0.5 (±0.05 at 80 pictures), few enough to cost seconds. */
export const AUDIT_PER_CLASS = 40;
/** Bump when the descriptor changes meaning, so cached ones are not reused. */
const DESCRIPTOR_VERSION = 1;

export type { ShortcutAudit, ShortcutCheck, ShortcutCue };

/** Parameters of auditShortcuts. */
export interface AuditShortcutsParams extends OperationOptions {
  /** Where descriptors are cached (one small file per picture content). */
  cacheDir: string;
  labels: readonly string[];
  /** The project file's fakeLabel (default: the label containing "fake", else the second). */
  fakeLabel?: string;
  /** The training pictures: absolute path, label and sha256 of the file (read from the file when not given). */
  pictures: ReadonlyArray<{ file: string; label: string; sha256?: string }>;
  perClass?: number;
  seed?: number;
  /** Measure face identity alone (training asks it before choosing self-blends); default: every cue. */
  identityOnly?: boolean;
}

/** Audits a sample of each class; throws only on cancellation (a picture that cannot be measured is left out). */
export async function auditShortcuts(params: AuditShortcutsParams): Promise<ShortcutAudit> {
  const fake = resolveFakeLabel({ labels: params.labels, projectSetting: params.fakeLabel });
  const random = createSeededRandom(params.seed ?? 42).derive(0xa0d1);
  const perClass = params.perClass ?? AUDIT_PER_CLASS;
  const sample = params.labels.flatMap((label) => random.shuffle(params.pictures.filter((picture) => picture.label === label)).slice(0, perClass));
  const sampled = Object.fromEntries(params.labels.map((label) => [label, sample.filter((picture) => picture.label === label).length]));
  params.onProgress?.({ event: "phase", phase: "audit", message: params.identityOnly ? `Comparing who is pictured in each category (face identity) on ${sample.length} pictures` : `Checking for shortcuts (face identity, picture size, border, JPEG bytes) on ${sample.length} pictures` });
  const measured: Array<{ positive: boolean; cues?: PictureCues; descriptor?: Float32Array }> = [];
  for (const [done, picture] of sample.entries()) {
    throwIfAborted(params.signal, "training");
    const cues = params.identityOnly ? undefined : await pictureCues(picture.file).catch(() => undefined);
    const descriptor = await cachedDescriptor(params.cacheDir, picture).catch(() => undefined);
    measured.push({ positive: picture.label === fake.label, cues, descriptor });
    params.onProgress?.({ event: "progress", phase: "audit", done: done + 1, total: sample.length });
  }
  const score = (cue: ShortcutCue, rowOf: (entry: (typeof measured)[number]) => ArrayLike<number> | undefined): ShortcutCheck => {
    const usable = measured.flatMap((entry) => {
      const row = rowOf(entry);
      return row ? [{ row, positive: entry.positive }] : [];
    });
    const accuracy = crossValidatedAccuracy({ rows: usable.map((entry) => entry.row), positive: usable.map((entry) => entry.positive), seed: params.seed });
    const balancedAccuracy = Number.isNaN(accuracy) ? null : accuracy;
    return { cue, balancedAccuracy, pictures: usable.length, separates: balancedAccuracy !== null && balancedAccuracy >= SEPARATES };
  };
  const checks = [
    score("identity", (entry) => entry.descriptor),
    ...(params.identityOnly ? [] : [
      score("picture-size", (entry) => entry.cues?.size),
      score("border", (entry) => entry.cues?.border),
      score("jpeg-bytes-per-pixel", (entry) => entry.cues?.bytesPerPixel),
    ]),
  ];
  const noFace = measured.filter((entry) => !entry.descriptor).length;
  return { fakeLabel: fake.label, sampled, noFace, checks, warnings: checks.filter((check) => check.separates).map((check) => warningOf(check, fake.label)) };
}

/** The finding and its fix, in words a non-specialist can act on. */
function warningOf(check: ShortcutCheck, fakeLabel: string): string {
  const share = `${Math.round((check.balancedAccuracy ?? 0) * 100)} %`;
  switch (check.cue) {
    case "identity":
      return `Face identity alone tells "${fakeLabel}" from the other pictures (${share}, cross-validated): the "${fakeLabel}" pictures show other people. The model can pass validation by recognising who is in the picture and still miss a deepfake that keeps the person's face. Add fakes of the same person: self-blends (train.selfBlend) or real deepfakes of this person.`;
    case "picture-size":
      return `Picture size alone tells "${fakeLabel}" from the other pictures (${share}): the model may learn the size, not the face. Make both classes alike in size (face crops do that: faceCrop in the project file).`;
    case "border":
      return `The picture border alone tells "${fakeLabel}" from the other pictures (${share}): frames, letterboxing or captions differ between the classes. Crop them away (faceCrop) or gather both classes from similar sources.`;
    case "jpeg-bytes-per-pixel":
      return `JPEG bytes per pixel alone tell "${fakeLabel}" from the other pictures (${share}): one class is blurrier, noisier or compressed differently. The model may learn the compression, not the manipulation; gather both classes from similar sources.`;
  }
}

/** The picture's face descriptor, from the cache when it has been computed before (null = no face). */
async function cachedDescriptor(cacheDir: string, picture: { file: string; sha256?: string }): Promise<Float32Array | undefined> {
  const sha256 = picture.sha256 ?? createHash("sha256").update(await fs.readFile(picture.file)).digest("hex");
  const key = createHash("sha256").update(`${DESCRIPTOR_VERSION}:${sha256}`).digest("hex");
  const file = path.join(cacheDir, `${key}.json`);
  try {
    const cached = JSON.parse(await fs.readFile(file, "utf8")) as { descriptor: number[] | null };
    if (cached.descriptor === null) return undefined;
    if (Array.isArray(cached.descriptor) && cached.descriptor.length === 128 && cached.descriptor.every(Number.isFinite)) return Float32Array.from(cached.descriptor);
  } catch {
    // Missing or damaged: compute it again.
  }
  const { data, info } = await sharp(picture.file).removeAlpha().resize({ width: 400, height: 400, fit: "inside", withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
  const descriptor = await faceIdentityDescriptor({ image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height } });
  await fs.mkdir(cacheDir, { recursive: true });
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(temp, JSON.stringify({ descriptor: descriptor ? Array.from(descriptor) : null }));
  await fs.rename(temp, file);
  return descriptor;
}

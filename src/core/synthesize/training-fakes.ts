/**
 * How training uses same-person fakes (train.selfBlend): which label is fake, which are real, and the synthesized
 * pictures that join the data. Every fake goes to the split of the picture it was made from (swaps pair two pictures of
 * one split), so validation never holds a near-copy of a training picture. Whatever the mode, self-blends of the
 * validation real pictures are made as probes: after training, the share the head flags says whether it learned to
 * see a manipulated face or only who is in the picture.
 */
import * as path from "node:path";
import type { ProjectConfig } from "../project/project-config";
import { CancelledError, StudioError } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { resolveFakeLabel } from "../shared/resolve-fake-label";
import { synthesizeFakes, type SynthesizedFake } from "./synthesize-fakes";

export type SelfBlendMode = "off" | "add" | "only";

/** The resolved train.selfBlend settings of a project. */
export interface SelfBlendPlan {
  mode: SelfBlendMode;
  /** The model's labels: the categories, plus the fake label when the project has only a real category. */
  labels: string[];
  /** The label the fakes get; undefined when none can be told (then no probe either). */
  fakeLabel?: string;
  /** Labels whose pictures fakes are made from. */
  realLabels: string[];
  perImage: number;
  /** Same-person swaps between two real pictures of one split. */
  swaps: boolean;
  /** Why there is no fake label, when there is none. */
  problem?: string;
}

/** Label of the synthesized class when the project has a single (real) category. */
export const SYNTHESIZED_FAKE_LABEL = "Deepfake";

/** Resolves train.selfBlend (unset: "add" for faceCrop projects, else "off"; training then may choose "off", train/choose-self-blend.ts) and the real/fake labels. */
export function resolveSelfBlend(config: ProjectConfig): SelfBlendPlan {
  const mode: SelfBlendMode = config.train.selfBlend ?? (config.faceCrop ? "add" : "off");
  const categories = config.categories.map((category) => category.label);
  const perImage = config.train.selfBlendPerImage;
  const swaps = config.train.selfBlendSwaps;
  if (categories.length === 1) {
    if (/fake/i.test(categories[0])) {
      throw new StudioError(`The only category, "${categories[0]}", looks like the fake one; train.selfBlend "only" makes fakes from a category of real pictures.`, "invalid-argument", 'Rename the category (e.g. "Real") or add a category of real pictures.');
    }
    return { mode, labels: [...categories, SYNTHESIZED_FAKE_LABEL], fakeLabel: SYNTHESIZED_FAKE_LABEL, realLabels: categories, perImage, swaps };
  }
  try {
    const fake = resolveFakeLabel({ labels: categories, projectSetting: config.fakeLabel });
    return { mode, labels: categories, fakeLabel: fake.label, realLabels: categories.filter((label) => label !== fake.label), perImage, swaps };
  } catch (error) {
    if (mode !== "off") {
      throw new StudioError(`train.selfBlend "${mode}" needs to know which category is the fake one: ${(error as Error).message}`, "invalid-argument", ["Name the fake category with fakeLabel in deepfake-studio.json", { editorOnly: " (" }, { step: "fake-label" }, { editorOnly: ")" }, ', or set train.selfBlend to "off".']);
    }
    return { mode, labels: categories, realLabels: [], perImage, swaps, problem: (error as Error).message };
  }
}

/** A listed training picture (TrainingImage's shape). */
export interface ListedImage {
  file: string;
  relative: string;
  label: string;
}

/** A synthesized picture as training lists it, with where it came from. */
export interface SyntheticImage extends ListedImage {
  split: "train" | "valid";
  /** Index (in the listed images) of the picture it was made from. */
  sourceIndex: number;
  synthetic: { kind: SynthesizedFake["kind"]; source: string; probeOnly: boolean };
}

/** Parameters of synthesizeTrainingFakes. */
export interface SynthesizeTrainingFakesParams extends OperationOptions {
  projectDir: string;
  plan: SelfBlendPlan;
  listed: readonly ListedImage[];
  /** isTrain[i] is 1 when listed[i] is in the training split. */
  isTrain: ArrayLike<number>;
  seed: number;
}

/** What synthesis added, and what it could not use. */
export interface TrainingFakes {
  images: SyntheticImage[];
  skipped: Array<{ file: string; reason: string }>;
  cache: { dir: string; hits: number; made: number };
  /** Why no probe could be made (no fake label, or face detection failed in "off" mode, which must not stop training). */
  problem?: string;
}

/**
 * add/only: self-blends and same-person swaps of every real picture, in its source's split. off: self-blends of the
 * validation real pictures only, marked probeOnly (scored after training, never trained or validated on).
 */
export async function synthesizeTrainingFakes(params: SynthesizeTrainingFakesParams): Promise<TrainingFakes> {
  const { plan, listed, isTrain } = params;
  const none = { images: [], skipped: [], cache: { dir: "", hits: 0, made: 0 } };
  if (plan.fakeLabel === undefined) return { ...none, problem: plan.problem };
  const probeOnly = plan.mode === "off";
  const chosen = listed.map((image, index) => ({ image, index })).filter(({ image, index }) => plan.realLabels.includes(image.label) && (!probeOnly || !isTrain[index]));
  const splitOf = (index: number): "train" | "valid" => (isTrain[index] ? "train" : "valid");
  const byFile = new Map(chosen.map(({ image, index }) => [image.file, index]));
  let result;
  try {
    result = await synthesizeFakes({
      projectDir: params.projectDir,
      sources: chosen.map(({ image, index }) => ({ file: image.file, group: `${image.label}\n${splitOf(index)}` })),
      perImage: plan.perImage,
      swaps: !probeOnly && plan.swaps,
      seed: params.seed,
      onProgress: params.onProgress,
      signal: params.signal,
    });
  } catch (error) {
    if (!probeOnly || error instanceof CancelledError || params.signal?.aborted) throw error;
    return { ...none, problem: `same-person blends could not be made: ${(error as Error).message}` };
  }
  const images = result.fakes.map((fake): SyntheticImage => {
    const sourceIndex = byFile.get(fake.source.file)!;
    const source = listed[sourceIndex];
    const suffix = fake.kind === "self-blend" ? `self-blend-${fake.index + 1}` : "same-person-swap";
    return {
      file: fake.file,
      // Not a data-folder path (predictions.json leaves these out); it names the source for people reading logs.
      relative: `${source.relative}#${suffix}`,
      label: plan.fakeLabel!,
      split: splitOf(sourceIndex),
      sourceIndex,
      synthetic: { kind: fake.kind, source: source.relative, probeOnly },
    };
  });
  const relativeOf = (file: string) => listed[byFile.get(file)!]?.relative ?? path.basename(file);
  return { images, skipped: result.skipped.map((entry) => ({ file: relativeOf(entry.file), reason: entry.reason })), cache: result.cache };
}

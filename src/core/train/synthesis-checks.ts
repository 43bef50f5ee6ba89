/** The checks and notes training needs around synthesized fakes (train.selfBlend), kept beside the synthesis. */
import * as path from "node:path";
import { labelToFolderName } from "../shared/labels";
import { TrainingDataError } from "./train-errors";
import type { ListedImage, SelfBlendPlan, TrainingFakes } from "../synthesize/training-fakes";

/** Every real category needs at least this many readable pictures (one to learn from, one to check on). */
const MIN_REAL_IMAGES = 2;

/** The pictures training reads from the folders: with "only", the fake category's own pictures are left out (and counted). */
export function ownImages<T extends ListedImage>(listed: readonly T[], plan: SelfBlendPlan): { own: T[]; ignored: number } {
  if (plan.mode !== "only") return { own: [...listed], ignored: 0 };
  const own = listed.filter((image) => image.label !== plan.fakeLabel);
  return { own, ignored: listed.length - own.length };
}

/** With train.selfBlend "only": every real category needs pictures, the fake one needs none. */
export function checkRealCategories(realLabels: readonly string[], images: readonly ListedImage[], dataDir: string, unreadable: ReadonlyArray<{ file: string }>): void {
  const perLabel = new Map<string, number>(realLabels.map((label) => [label, 0]));
  for (const image of images) if (perLabel.has(image.label)) perLabel.set(image.label, perLabel.get(image.label)! + 1);
  const short = realLabels.filter((label) => perLabel.get(label)! < MIN_REAL_IMAGES);
  if (short.length === 0) return;
  const skipped = unreadable.length > 0 ? ` (not counting ${unreadable.length} unreadable file(s))` : "";
  throw new TrainingDataError(
    `With train.selfBlend "only" the fakes are made from the real pictures, and ${short.map((label) => `"${label}"`).join(", ")} has too few: at least ${MIN_REAL_IMAGES} are needed${skipped}; pictures per category: ${realLabels.map((label) => `"${label}": ${perLabel.get(label)}`).join(", ")}.`,
    "too-few-images",
    ["Add real pictures with ", realLabels.length === 1 ? { step: "import", label: realLabels[0] } : { step: "import" }, ` (folders: ${realLabels.map((label) => path.join(dataDir, labelToFolderName(label))).join(", ")}).`],
    Object.fromEntries(perLabel));
}

/** "add"/"only" must have made fakes in both splits when "only" relies on them alone. */
export function checkSynthesized(plan: SelfBlendPlan, fakes: TrainingFakes): void {
  if (plan.mode !== "only") return;
  for (const split of ["train", "valid"] as const) {
    if (fakes.images.some((image) => image.split === split)) continue;
    const why = fakes.skipped.length > 0 ? ` (${fakes.skipped.length} picture(s) skipped: ${summariseReasons(fakes.skipped)})` : "";
    throw new TrainingDataError(
      `train.selfBlend "only" could make no same-person fake for the ${split === "train" ? "training" : "validation"} split${why}: the fake class would be empty.`,
      "too-few-images",
      "Add real pictures that show a face clearly (the fakes are blended into the face), or add pictures of fakes and set train.selfBlend to \"add\".");
  }
}

/** Sums two per-label counts. */
export function sumCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys({ ...a, ...b }).map((label) => [label, (a[label] ?? 0) + (b[label] ?? 0)]));
}

/** Warnings for the run: pictures left out by "only", real pictures that gave no fake, and a missing probe. */
export function describeSynthesis(plan: SelfBlendPlan, fakes: TrainingFakes, ignored: number): string[] {
  const notes: string[] = [];
  if (ignored > 0) notes.push(`train.selfBlend is "only": the ${ignored} picture(s) in the "${plan.fakeLabel}" folder were not used; its examples are synthesized from the real pictures.`);
  if (fakes.skipped.length > 0) {
    notes.push(`${fakes.skipped.length} real picture(s) gave no same-person fake (${summariseReasons(fakes.skipped)}): ${fakes.skipped.slice(0, 5).map((entry) => entry.file).join(", ")}${fakes.skipped.length > 5 ? ", …" : ""}.`);
  }
  if (fakes.problem) notes.push(`No same-person blend check in this run: ${fakes.problem}`);
  return notes;
}

/** "no face found ×3, too small ×1" */
function summariseReasons(entries: ReadonlyArray<{ reason: string }>): string {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.reason, (counts.get(entry.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => (count > 1 ? `${reason} ×${count}` : reason)).join(", ");
}

/**
 * Can Train succeed with these images? The same rules training checks before it starts (at least two categories,
 * MIN_IMAGES_PER_CATEGORY in each, a validation split that holds an image), asked before offering Train, so a
 * front end offers the step that is really next (gather or import a category) instead of a Train that fails.
 */

/** Fewest images a category needs: some to train on, some to validate. */
export const MIN_IMAGES_PER_CATEGORY = 2;

export type TrainReadiness =
  | { ready: true }
  | {
      ready: false;
      /** Categories that need more images, in label order, with how many more each needs at least. */
      needs: Array<{ label: string; have: number; more: number }>;
      /** The reason in words, e.g. `"Real" has no images yet.` */
      reason: string;
    };

/** Whether training can start on `counts` (images per label); validPct as in train.validPct. */
export function trainReadiness(params: { labels: readonly string[]; counts: Readonly<Record<string, number>>; validPct: number }): TrainReadiness {
  const have = (label: string) => params.counts[label] ?? 0;
  const short = params.labels.filter((label) => have(label) < MIN_IMAGES_PER_CATEGORY);
  if (short.length > 0) {
    const needs = short.map((label) => ({ label, have: have(label), more: MIN_IMAGES_PER_CATEGORY - have(label) }));
    const empty = short.filter((label) => have(label) === 0);
    const reason = empty.length > 0
      ? `${quoteList(empty)} ${empty.length === 1 ? "has" : "have"} no images yet: training needs at least ${MIN_IMAGES_PER_CATEGORY} in every category.`
      : `${quoteList(short)} ${short.length === 1 ? "has" : "have"} fewer than ${MIN_IMAGES_PER_CATEGORY} images: training needs at least ${MIN_IMAGES_PER_CATEGORY} in every category.`;
    return { ready: false, needs, reason };
  }
  // fastai holds out int(validPct × n) images; with none held out there is no error rate to measure.
  const total = params.labels.reduce((sum, label) => sum + have(label), 0);
  if (Math.floor(total * params.validPct) < 1) {
    const wanted = Math.ceil(1 / params.validPct);
    const smallest = [...params.labels].sort((a, b) => have(a) - have(b))[0];
    return {
      ready: false,
      needs: [{ label: smallest, have: have(smallest), more: wanted - total }],
      reason: `${total} images leave none for validation at ${Math.round(params.validPct * 100)} %: training needs at least ${wanted} in all.`,
    };
  }
  return { ready: true };
}

function quoteList(labels: readonly string[]): string {
  return labels.map((label) => `"${label}"`).join(", ");
}

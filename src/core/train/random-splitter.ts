/** fastai's RandomSplitter(valid_pct, seed): a seeded permutation of all items, the first valid_pct·n are validation. */
import { createSeededRandom } from "../shared/seeded-random";

/** Item indices of each split, ascending. */
export interface Split {
  train: number[];
  valid: number[];
}

/** Same count, share and seed → same split, on every machine (mulberry32 + Fisher–Yates, not Math.random). */
export function randomSplitter(params: { count: number; validPct: number; seed: number }): Split {
  const { count, validPct, seed } = params;
  const permutation = createSeededRandom(seed).shuffle(Array.from({ length: count }, (_, index) => index));
  // int(valid_pct * n), as fastai does: 20 % of 37 images is 7 validation images.
  const cut = Math.floor(validPct * count);
  const ascending = (a: number, b: number) => a - b;
  return { valid: permutation.slice(0, cut).sort(ascending), train: permutation.slice(cut).sort(ascending) };
}

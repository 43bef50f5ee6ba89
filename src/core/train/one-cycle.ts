/** fastai's fit_one_cycle schedule: cosine warm-up to lr_max over pct_start, then cosine annealing; momentum mirrored. */

/** Hyper-parameters of one optimiser step. */
export interface CyclePoint {
  lr: number;
  /** Adam's first-moment decay (fastai cycles it 0.95 → 0.85 → 0.95). */
  mom: number;
}

/** fastai defaults: pct_start 0.25, div 25, div_final 1e5, moms (0.95, 0.85, 0.95). */
const PCT_START = 0.25;
const DIV = 25;
const DIV_FINAL = 1e5;
const MOMS: [number, number, number] = [0.95, 0.85, 0.95];

/** Learning rate and momentum at `position` = completed steps / total steps, in [0, 1]. */
export function oneCycle(lrMax: number, position: number): CyclePoint {
  if (position < PCT_START) {
    const pos = position / PCT_START;
    return { lr: cosine(lrMax / DIV, lrMax, pos), mom: cosine(MOMS[0], MOMS[1], pos) };
  }
  const pos = (position - PCT_START) / (1 - PCT_START);
  return { lr: cosine(lrMax, lrMax / DIV_FINAL, pos), mom: cosine(MOMS[1], MOMS[2], pos) };
}

/** fastai SchedCos: start + (1 + cos(π(1 - pos))) · (end - start) / 2. */
function cosine(start: number, end: number, pos: number): number {
  return start + ((1 + Math.cos(Math.PI * (1 - pos))) * (end - start)) / 2;
}

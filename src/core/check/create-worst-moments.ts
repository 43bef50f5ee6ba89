/**
 * Keeps the few worst moments of a video while it streams: the highest-scoring frames, at most `count`, no two
 * closer than `minGapSeconds` (a swapped face scores high for many frames in a row; the report should show
 * different moments, not one moment six times). Only the kept frames' pixels stay in memory.
 */

/** One kept moment: its time, score and whatever the caller needs later (the frame's pixels and faces). */
export interface Moment<T> {
  time: number;
  score: number;
  payload: T;
}

/** The keeper: offer every scored frame, read the list at the end (highest score first). */
export interface WorstMoments<T> {
  offer(moment: Moment<T>): void;
  list(): Array<Moment<T>>;
}

/** Creates a keeper; offering is O(count). */
export function createWorstMoments<T>(params: { count: number; minGapSeconds: number }): WorstMoments<T> {
  const kept: Array<Moment<T>> = [];
  return {
    offer(moment) {
      if (params.count <= 0 || !Number.isFinite(moment.score)) return;
      const near = kept.filter((other) => Math.abs(other.time - moment.time) < params.minGapSeconds);
      // A moment is only as good as the best frame around it: a nearby better frame already stands for it.
      if (near.some((other) => other.score >= moment.score)) return;
      for (const other of near) kept.splice(kept.indexOf(other), 1);
      kept.push(moment);
      kept.sort((a, b) => b.score - a.score || a.time - b.time);
      if (kept.length > params.count) kept.length = params.count;
    },
    list: () => [...kept],
  };
}

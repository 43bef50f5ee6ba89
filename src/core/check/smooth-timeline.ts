/**
 * Temporal smoothing of a video's fake-probability signal. A frozen-backbone model's per-frame scores are noisy: one
 * frame (or one pose held for a second) can spike, while a real face swap is a sustained run of high scores.
 *
 * Why a centred moving median: it ignores a burst shorter than half the window outright (a mean only dilutes it,
 * and two nearby spikes can still push a mean over the threshold), and it keeps the edges of a sustained run where
 * they are, so a flagged segment's start and end stay on the frames where the swap starts and ends instead of being
 * smeared out by half a window. The window shrinks at the ends of a run (only real samples vote; no padding), and a
 * stretch without a face longer than `maxGapSeconds` splits the signal: the face after a cut may be someone else,
 * so it is never smoothed with the faces before it.
 */

/** One point of the signal: a time in seconds and a value, null where nothing was measured (no face). */
export interface TimelineSample {
  time: number;
  value: number | null;
}

/** Parameters of smoothTimeline. */
export interface SmoothTimelineParams {
  /** In time order. */
  samples: readonly TimelineSample[];
  /** Full width of the centred window in seconds; 0 leaves the values as they are. */
  windowSeconds: number;
  /** Measured samples further apart than this are separate runs, never smoothed across. */
  maxGapSeconds: number;
}

/** Default window: at 2 fps, 7 frames; a burst of up to 3 frames (1.5 s) is ignored, a swap held for 2 s or more is not. */
export const DEFAULT_SMOOTH_SECONDS = 3;

/** Frame times are rounded to milliseconds; a sample exactly half a window away is inside it. */
const TIME_EPSILON = 1e-6;

/** The centred moving median of each measured sample within its run; null samples stay null. Pure, O(n × window). */
export function smoothTimeline(params: SmoothTimelineParams): Array<number | null> {
  const { samples, windowSeconds, maxGapSeconds } = params;
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0) throw new TypeError(`windowSeconds must be a number of seconds ≥ 0, got ${windowSeconds}.`);
  if (!(maxGapSeconds >= 0)) throw new TypeError(`maxGapSeconds must be a number of seconds ≥ 0, got ${maxGapSeconds}.`);
  const smoothed: Array<number | null> = samples.map((sample) => sample.value);
  if (windowSeconds === 0) return smoothed;
  for (const run of splitRuns(samples, maxGapSeconds)) {
    const medians = movingMedian(run.map((i) => samples[i] as { time: number; value: number }), windowSeconds / 2);
    run.forEach((i, k) => (smoothed[i] = medians[k]));
  }
  return smoothed;
}

/** Indices of the measured samples, grouped into runs no gap of more than `maxGapSeconds` interrupts. */
function splitRuns(samples: readonly TimelineSample[], maxGapSeconds: number): number[][] {
  const runs: number[][] = [];
  let previous: number | undefined;
  samples.forEach((sample, i) => {
    if (sample.value === null) return;
    if (previous === undefined || sample.time - samples[previous].time > maxGapSeconds + TIME_EPSILON) runs.push([]);
    runs[runs.length - 1].push(i);
    previous = i;
  });
  return runs;
}

/** Median of the values within ±halfWidth of each sample, kept in a sorted window that slides with two pointers. */
function movingMedian(run: ReadonlyArray<{ time: number; value: number }>, halfWidth: number): number[] {
  const window: number[] = [];
  let low = 0;
  let high = 0;
  return run.map(({ time }) => {
    for (; high < run.length && run[high].time <= time + halfWidth + TIME_EPSILON; high++) window.splice(sortedIndex(window, run[high].value), 0, run[high].value);
    for (; run[low].time < time - halfWidth - TIME_EPSILON; low++) window.splice(sortedIndex(window, run[low].value), 1);
    const middle = window.length >> 1;
    return window.length % 2 === 1 ? window[middle] : (window[middle - 1] + window[middle]) / 2;
  });
}

/** Where `value` goes in the ascending `sorted` (the first equal element, so removal finds it too). */
function sortedIndex(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * How well a handful of numbers per picture alone tell two classes apart: the balanced accuracy of an L2-regularised
 * logistic regression, k-fold cross-validated with stratified, seeded folds (every picture is scored by a model that
 * never saw it). 0.5 means no cue; 1.0 means the numbers alone decide the class.
 */
import { createSeededRandom } from "../shared/seeded-random";

/** Parameters of crossValidatedAccuracy. */
export interface CrossValidatedAccuracyParams {
  /** One row of numbers per picture, all of the same length. */
  rows: ReadonlyArray<ArrayLike<number>>;
  /** true = the "fake" class. */
  positive: readonly boolean[];
  /** Folds (default 5; fewer when a class has fewer pictures). */
  folds?: number;
  seed?: number;
}

const ITERATIONS = 300;
const STEP = 0.5;
const L2 = 0.05;

/** Cross-validated balanced accuracy (mean of the two classes' recalls); NaN when a class has fewer than 2 pictures. */
export function crossValidatedAccuracy(params: CrossValidatedAccuracyParams): number {
  const { rows, positive } = params;
  const byClass = [false, true].map((value) => positive.flatMap((p, i) => (p === value ? [i] : [])));
  const smallest = Math.min(...byClass.map((members) => members.length));
  if (smallest < 2) return Number.NaN;
  const folds = Math.min(params.folds ?? 5, smallest);
  const random = createSeededRandom(params.seed ?? 42);
  const foldOf = new Array<number>(rows.length);
  for (const members of byClass) random.shuffle(members).forEach((index, k) => (foldOf[index] = k % folds));
  const correct = [0, 0];
  for (let fold = 0; fold < folds; fold++) {
    const trainRows = rows.flatMap((_, i) => (foldOf[i] === fold ? [] : [i]));
    const model = fitLogistic(rows, positive, trainRows);
    rows.forEach((row, i) => {
      if (foldOf[i] !== fold) return;
      if (model(row) >= 0.5 === positive[i]) correct[positive[i] ? 1 : 0] += 1;
    });
  }
  return (correct[0] / byClass[0].length + correct[1] / byClass[1].length) / 2;
}

/** Full-batch gradient descent on standardised inputs, classes weighted equally; returns p(positive | row). */
function fitLogistic(rows: ReadonlyArray<ArrayLike<number>>, positive: readonly boolean[], use: readonly number[]): (row: ArrayLike<number>) => number {
  const width = rows[0].length;
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  for (const i of use) for (let j = 0; j < width; j++) mean[j] += rows[i][j] / use.length;
  for (const i of use) for (let j = 0; j < width; j++) std[j] += (rows[i][j] - mean[j]) ** 2 / use.length;
  // A constant input (every picture the same size) carries no information: scale 1 keeps it at zero.
  for (let j = 0; j < width; j++) std[j] = std[j] > 1e-12 ? Math.sqrt(std[j]) : 1;
  const x = use.map((i) => Float64Array.from({ length: width }, (_, j) => (rows[i][j] - mean[j]) / std[j]));
  const y: number[] = use.map((i) => (positive[i] ? 1 : 0));
  const positives = y.reduce((a, b) => a + b, 0);
  const weightOf = [use.length / (2 * (use.length - positives)), use.length / (2 * positives)];
  const w = new Float64Array(width);
  let b = 0;
  const gradient = new Float64Array(width);
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    gradient.fill(0);
    let gradientB = 0;
    x.forEach((xi, n) => {
      const error = (sigmoid(dot(w, xi) + b) - y[n]) * weightOf[y[n]];
      for (let j = 0; j < width; j++) gradient[j] += error * xi[j];
      gradientB += error;
    });
    for (let j = 0; j < width; j++) w[j] -= STEP * (gradient[j] / x.length + L2 * w[j]);
    b -= STEP * (gradientB / x.length);
  }
  return (row) => sigmoid(dot(w, Float64Array.from({ length: width }, (_, j) => (row[j] - mean[j]) / std[j])) + b);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/**
 * fastai fine_tune(epochs) with the backbone frozen: fit_one_cycle of a dropout + dense + softmax head on the
 * cached features, Adam with decoupled weight decay, seeded shuffling; one EpochRecord per epoch as fastai prints.
 * `heads` heads train side by side, each with its own shuffling and dropout, and the model is their average (one
 * linear head): each epoch's record, and the epoch kept, are those of the average.
 */
import { createSeededRandom } from "../shared/seeded-random";
import { throwIfAborted } from "../shared/errors";
import { LinearHead } from "./linear-head";
import { oneCycle } from "./one-cycle";
import type { EpochRecord } from "./run-files";
import { standardiseRows } from "./standardise-rows";
import { meanOfViews } from "../shared/test-time-views";

/** The features and which rows train and validate. */
export interface HeadData {
  features: Float32Array;
  featureLength: number;
  /** Columns weighted after standardisation (standardiseRows' emphasis). */
  emphasis?: ReadonlyArray<{ from: number; to: number; factor: number }>;
  classes: number;
  /** Per training image: its feature rows (index 0 = the plain image, then the augmented views) and class. */
  train: ReadonlyArray<{ rows: readonly number[]; label: number }>;
  /** Per validation image: its rows (the plain image, then its test-time views, if any) and class; scored by their mean logits. */
  valid: ReadonlyArray<{ rows: readonly number[]; label: number }>;
}

/** Hyper-parameters (the project's `train` section, resolved). */
export interface HeadSettings {
  epochs: number;
  learningRate: number;
  batchSize: number;
  dropout: number;
  weightDecay: number;
  seed: number;
  /** Heads trained side by side and averaged (train.heads); 1 trains one. */
  heads: number;
}

/** A trained head, its standardisation and the epoch table. */
export interface TrainedHead {
  head: LinearHead;
  mean: Float32Array;
  std: Float32Array;
  epochs: EpochRecord[];
  /** The epoch whose weights were kept: the lowest validation loss (fastai's SaveModelCallback(monitor='valid_loss')). */
  keptEpoch: number;
  /** Log-probabilities of any row of `features` (standardised with mean/std here). */
  logProbabilities(row: number): Float64Array;
  /** Log-probabilities of a picture seen in several rows (its test-time views): the softmax of their mean logits. */
  logProbabilitiesOfViews(rows: readonly number[]): Float64Array;
}

/** Parameters of trainHead. */
export interface TrainHeadParams {
  data: HeadData;
  settings: HeadSettings;
  signal?: AbortSignal;
  onEpoch?: (record: EpochRecord) => void;
}

/** fastai's Recorder smooths the training loss with an exponential moving average (beta 0.98), debiased. */
const SMOOTH_BETA = 0.98;

/** Trains the head; each epoch shows every training image once in each of its views, in a seeded random order. */
export async function trainHead(params: TrainHeadParams): Promise<TrainedHead> {
  const { data, settings, signal } = params;
  const f = data.featureLength;
  const trainRows = data.train.flatMap((item) => item.rows);
  const standardised = standardiseRows({
    features: data.features,
    featureLength: f,
    // Statistics of the plain training images: the distribution the head meets when predicting.
    statsRows: data.train.map((item) => item.rows[0]),
    rows: [...trainRows, ...data.valid.flatMap((item) => item.rows)],
    emphasis: data.emphasis,
  });
  const x = standardised.data;
  const at = (row: number) => standardised.index.get(row) as number;
  const heads = Array.from({ length: Math.max(1, settings.heads) }, () => new LinearHead(f, data.classes));
  // The first head keeps the single head's stream, so heads: 1 trains exactly as before.
  const seeded = createSeededRandom(settings.seed);
  const randoms = heads.map((_, k) => (k === 0 ? seeded.derive(0x4ead) : seeded.derive(0x4ead, k)));
  const head = new LinearHead(f, data.classes);
  // Every view of every training image once per epoch: the cached views act as extra (augmented) images.
  const samples = data.train.flatMap((item) => item.rows.map((row) => ({ row: at(row), label: item.label })));
  // fastai's training DataLoader drops the last partial batch (drop_last=shuffle); keep at least one step.
  const stepsPerEpoch = Math.max(1, Math.floor(samples.length / settings.batchSize));
  const totalSteps = stepsPerEpoch * settings.epochs;
  const epochs: EpochRecord[] = [];
  // Later epochs can overfit a small dataset: keep the weights of the epoch with the lowest validation loss.
  let best = { epoch: -1, validLoss: Number.POSITIVE_INFINITY, weights: head.weights.slice(), bias: head.bias.slice() };
  let smooth = 0;
  let smoothCount = 0;
  let step = 0;
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    throwIfAborted(signal, "training");
    const started = performance.now();
    const orders = randoms.map((random) => {
      const epochRandom = random.derive(epoch);
      return { epochRandom, order: epochRandom.shuffle(samples) };
    });
    for (let s = 0; s < stepsPerEpoch; s++) {
      const { lr, mom } = oneCycle(settings.learningRate, step / totalSteps);
      let loss = 0;
      heads.forEach((member, k) => {
        const { epochRandom, order } = orders[k];
        const batch = order.slice(s * settings.batchSize, (s + 1) * settings.batchSize);
        loss += member.trainStep(x, batch.map((item) => item.row), batch.map((item) => item.label), { lr, mom, weightDecay: settings.weightDecay, dropout: settings.dropout, random: epochRandom }) / heads.length;
      });
      step += 1;
      smooth = SMOOTH_BETA * smooth + (1 - SMOOTH_BETA) * loss;
      smoothCount += 1;
    }
    averageInto(head, heads);
    const { validLoss, errorRate } = evaluate(head, x, f, data.valid.map((item) => ({ rows: item.rows.map(at), label: item.label })));
    const record: EpochRecord = { epoch, trainLoss: smooth / (1 - SMOOTH_BETA ** smoothCount), validLoss, errorRate, seconds: (performance.now() - started) / 1000 };
    epochs.push(record);
    // Without validation images (or a NaN loss) nothing can be compared: the last epoch is kept.
    if (best.epoch < 0 || validLoss < best.validLoss || Number.isNaN(validLoss)) {
      best = { epoch, validLoss, weights: head.weights.slice(), bias: head.bias.slice() };
    }
    params.onEpoch?.(record);
    // Let a Ctrl-C (or any abort) reach us between epochs: the loop itself never yields.
    await new Promise((resolve) => setImmediate(resolve));
  }
  throwIfAborted(signal, "training");
  head.weights.set(best.weights);
  head.bias.set(best.bias);
  const { mean, std } = standardised;
  // float32, as in the standardised copy the head was trained and validated on.
  const scratch = new Float32Array(f);
  const standardisedRow = (row: number): Float32Array => {
    const base = row * f;
    for (let i = 0; i < f; i++) scratch[i] = (data.features[base + i] - mean[i]) / std[i];
    return scratch;
  };
  const ofViews = (rows: readonly number[]): Float64Array => meanOfViews(rows.map((row) => {
    const out = new Float64Array(data.classes);
    head.logProbabilities(standardisedRow(row), 0, out);
    return out;
  }));
  return {
    head,
    mean,
    std,
    epochs,
    keptEpoch: best.epoch,
    logProbabilities: (row) => ofViews([row]),
    logProbabilitiesOfViews: ofViews,
  };
}

/** The heads' mean weights and bias, written into `into`: for linear heads the mean of their logits is this head's. */
function averageInto(into: LinearHead, heads: readonly LinearHead[]): void {
  const weights = new Float64Array(into.weights.length);
  const bias = new Float64Array(into.bias.length);
  for (const member of heads) {
    for (let i = 0; i < weights.length; i++) weights[i] += member.weights[i];
    for (let c = 0; c < bias.length; c++) bias[c] += member.bias[c];
  }
  for (let i = 0; i < weights.length; i++) into.weights[i] = weights[i] / heads.length;
  for (let c = 0; c < bias.length; c++) into.bias[c] = bias[c] / heads.length;
}

/** Mean cross-entropy and error rate (argmax, first class on ties) over standardised pictures, each scored over its rows. */
function evaluate(head: LinearHead, x: Float32Array, f: number, items: ReadonlyArray<{ rows: readonly number[]; label: number }>): { validLoss: number; errorRate: number } {
  if (items.length === 0) return { validLoss: Number.NaN, errorRate: Number.NaN };
  let loss = 0;
  let errors = 0;
  for (const item of items) {
    const out = meanOfViews(item.rows.map((row) => {
      const viewOut = new Float64Array(head.classes);
      head.logProbabilities(x, row * f, viewOut);
      return viewOut;
    }));
    loss -= out[item.label];
    if (argmax(out) !== item.label) errors += 1;
  }
  return { validLoss: loss / items.length, errorRate: errors / items.length };
}

/** Index of the largest value; the first one on ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

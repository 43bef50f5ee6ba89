/**
 * fastai's lr_find for the head: train a throw-away head while the learning rate grows exponentially from 1e-7
 * to 10 over 100 steps, stop once the smoothed loss explodes, and suggest a rate (valley, steep, minimum/10).
 */
import { createSeededRandom } from "../shared/seeded-random";
import { throwIfAborted } from "../shared/errors";
import { LinearHead } from "./linear-head";
import { prepareTrainingData, type PrepareTrainingDataParams } from "./prepare-training-data";
import { standardiseRows } from "./standardise-rows";

/** Parameters of lrFind (the data side is the same as training's). */
export interface LrFindParams extends PrepareTrainingDataParams {
  startLr?: number;
  endLr?: number;
  /** Steps to go from startLr to endLr (fastai num_it=100). */
  steps?: number;
}

/** The recorded curve and fastai's suggestions. */
export interface LrFindResult {
  lrs: number[];
  /** Smoothed training loss after each step. */
  losses: number[];
  suggestions: {
    /** fastai's default: the middle of the longest stretch where the loss keeps falling. */
    valley: number;
    /** Where the loss falls fastest. */
    steep: number;
    /** A tenth of the rate with the lowest loss. */
    minimum: number;
  };
  /** True when the loss exploded before the last step (fastai stop_div). */
  stoppedEarly: boolean;
}

/** Adam's momentum outside a one-cycle schedule (fastai's Adam default). */
const MOM = 0.9;
const SMOOTH_BETA = 0.98;

/** Runs the learning-rate range test on the project's cached features. */
export async function lrFind(params: LrFindParams): Promise<LrFindResult> {
  const startLr = params.startLr ?? 1e-7;
  const endLr = params.endLr ?? 10;
  const steps = params.steps ?? 100;
  const data = await prepareTrainingData(params);
  const settings = params.config.train;
  const f = data.featureLength;
  const trainItems = data.items.filter((item) => item.split === "train");
  const rows = trainItems.flatMap((item) => item.rows);
  const standardised = standardiseRows({ features: data.features, featureLength: f, statsRows: trainItems.map((item) => item.rows[0]), rows, emphasis: data.emphasis });
  const samples = trainItems.flatMap((item) => item.rows.map((row) => ({ row: standardised.index.get(row) as number, label: item.labelIndex })));
  const head = new LinearHead(f, data.labels.length);
  const random = createSeededRandom(settings.seed).derive(0x1f);
  params.onProgress?.({ event: "phase", phase: "lr-find", message: `Learning-rate range test: ${steps} steps from ${startLr} to ${endLr}` });

  const lrs: number[] = [];
  const losses: number[] = [];
  let order: typeof samples = [];
  let smooth = 0;
  let best = Infinity;
  let stoppedEarly = false;
  for (let step = 0; step < steps; step++) {
    throwIfAborted(params.signal, "learning-rate finder");
    if (order.length < Math.min(settings.batchSize, samples.length)) order = random.shuffle(samples);
    const batch = order.splice(0, settings.batchSize);
    const lr = startLr * (endLr / startLr) ** (step / steps);
    const loss = head.trainStep(standardised.data, batch.map((item) => item.row), batch.map((item) => item.label), { lr, mom: MOM, weightDecay: settings.weightDecay, dropout: settings.dropout, random });
    smooth = SMOOTH_BETA * smooth + (1 - SMOOTH_BETA) * loss;
    const smoothed = smooth / (1 - SMOOTH_BETA ** (step + 1));
    lrs.push(lr);
    losses.push(smoothed);
    if (smoothed < best) best = smoothed;
    if (!Number.isFinite(smoothed) || smoothed > 4 * best) {
      stoppedEarly = step < steps - 1;
      break;
    }
  }
  return { lrs, losses, suggestions: suggest(lrs, losses, steps), stoppedEarly };
}

/** fastai's suggestion functions on the curve without its first tenth and last five points. */
function suggest(allLrs: number[], allLosses: number[], steps: number): LrFindResult["suggestions"] {
  let lrs = allLrs.slice(Math.floor(steps / 10), -5);
  let losses = allLosses.slice(Math.floor(steps / 10), -5);
  const firstBad = losses.findIndex((loss) => !Number.isFinite(loss));
  if (firstBad >= 0) {
    lrs = lrs.slice(0, firstBad);
    losses = losses.slice(0, firstBad);
  }
  // Too short a curve (the loss exploded at once): fall back to the whole record.
  if (lrs.length < 3) {
    lrs = allLrs.filter((_, i) => Number.isFinite(allLosses[i]));
    losses = allLosses.filter(Number.isFinite);
  }
  return { valley: valley(lrs, losses), steep: steep(lrs, losses), minimum: lrs[indexOfMin(losses)] / 10 };
}

/** fastai valley: the longest decreasing subsequence, then a point 1/3 + 1/6 of the way along it. */
function valley(lrs: number[], losses: number[]): number {
  const n = losses.length;
  const lds = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[maxEnd] < lds[i]) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd];
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  const index = maxStart + Math.trunc(sections) + Math.trunc(sections / 2);
  return lrs[Math.min(Math.max(index, 0), n - 1)];
}

/** fastai steep: the rate where d(loss)/d(log lr) is most negative. */
function steep(lrs: number[], losses: number[]): number {
  let best = 0;
  let bestSlope = Infinity;
  for (let i = 0; i + 1 < losses.length; i++) {
    const slope = (losses[i + 1] - losses[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
    if (slope < bestSlope) {
      bestSlope = slope;
      best = i;
    }
  }
  return lrs[best];
}

function indexOfMin(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  return best;
}

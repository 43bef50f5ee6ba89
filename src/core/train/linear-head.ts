/**
 * The head: dropout → dense → softmax on standardised features, trained with fastai's Adam (decoupled weight
 * decay, debiased moments, eps 1e-5). Plain loops over typed arrays (float32 parameters, float64 sums): a linear
 * model on a few thousand features is milliseconds per step in JS, and the result is the same on every machine.
 */
import type { SeededRandom } from "../shared/seeded-random";

/** One optimiser step's settings. */
export interface HeadStep {
  lr: number;
  mom: number;
  weightDecay: number;
  dropout: number;
  /** Draws the dropout masks. */
  random: SeededRandom;
}

/** fastai Adam defaults. */
const SQR_MOM = 0.99;
const EPS = 1e-5;

/** A dense softmax layer with its Adam state; weights are row-major featureLength x classes (head.json's layout). */
export class LinearHead {
  /** float32 like PyTorch's parameters, and exactly what head.json and the ONNX export store. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  private readonly gradAvg: Float64Array;
  private readonly sqrAvg: Float64Array;
  private readonly biasGradAvg: Float64Array;
  private readonly biasSqrAvg: Float64Array;
  private steps = 0;

  constructor(readonly featureLength: number, readonly classes: number) {
    // Zero start: the loss is convex in these weights, so no random init is needed and the run stays seed-only.
    this.weights = new Float32Array(featureLength * classes);
    this.bias = new Float32Array(classes);
    this.gradAvg = new Float64Array(this.weights.length);
    this.sqrAvg = new Float64Array(this.weights.length);
    this.biasGradAvg = new Float64Array(classes);
    this.biasSqrAvg = new Float64Array(classes);
  }

  /** One Adam step on the rows `rows` of the standardised matrix `x`; returns the batch's mean cross-entropy. */
  trainStep(x: Float32Array, rows: readonly number[], labels: readonly number[], step: HeadStep): number {
    const { featureLength: f, classes: c } = this;
    const batch = rows.length;
    const keep = 1 - step.dropout;
    const dropped = step.dropout > 0 ? new Float32Array(f) : undefined;
    const grad = new Float64Array(f * c);
    const gradBias = new Float64Array(c);
    const logits = new Float64Array(c);
    const delta = new Float64Array(c);
    let loss = 0;
    for (let b = 0; b < batch; b++) {
      let xb = x.subarray(rows[b] * f, (rows[b] + 1) * f);
      if (dropped) {
        // Inverted dropout: kept inputs are scaled by 1/keep so predicting needs no rescaling.
        for (let i = 0; i < f; i++) dropped[i] = step.random.next() < keep ? xb[i] / keep : 0;
        xb = dropped;
      }
      this.logitsOf(xb, logits);
      const logSum = logSumExp(logits);
      loss += logSum - logits[labels[b]];
      for (let k = 0; k < c; k++) {
        delta[k] = (Math.exp(logits[k] - logSum) - (k === labels[b] ? 1 : 0)) / batch;
        gradBias[k] += delta[k];
      }
      // Row by row, so the batch is read in memory order.
      for (let i = 0; i < f; i++) {
        const xi = xb[i];
        if (xi === 0) continue;
        for (let k = 0; k < c; k++) grad[i * c + k] += xi * delta[k];
      }
    }
    this.steps += 1;
    const debias1 = 1 - step.mom ** this.steps;
    const debias2 = 1 - SQR_MOM ** this.steps;
    const decay = 1 - step.lr * step.weightDecay;
    for (let w = 0; w < grad.length; w++) {
      // Decoupled weight decay (fastai true_wd), applied before the Adam step as fastai's weight_decay does.
      this.weights[w] = this.weights[w] * decay - adam(grad[w], w, this.gradAvg, this.sqrAvg, step, debias1, debias2);
    }
    // fastai leaves biases out of weight decay (wd_bn_bias=False).
    for (let k = 0; k < c; k++) this.bias[k] -= adam(gradBias[k], k, this.biasGradAvg, this.biasSqrAvg, step, debias1, debias2);
    return loss / batch;
  }

  /** Log-probabilities of one standardised feature vector (x[offset .. offset + featureLength)), no dropout. */
  logProbabilities(x: Float32Array | Float64Array, offset: number, out: Float64Array): void {
    this.logitsOf(x.subarray(offset, offset + this.featureLength), out);
    const logSum = logSumExp(out);
    for (let k = 0; k < this.classes; k++) out[k] -= logSum;
  }

  private logitsOf(x: Float32Array | Float64Array, out: Float64Array): void {
    const c = this.classes;
    for (let k = 0; k < c; k++) out[k] = this.bias[k];
    for (let i = 0; i < this.featureLength; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      for (let k = 0; k < c; k++) out[k] += xi * this.weights[i * c + k];
    }
  }
}

/** Updates the moments of parameter `index` and returns the step to subtract. */
function adam(grad: number, index: number, gradAvg: Float64Array, sqrAvg: Float64Array, step: HeadStep, debias1: number, debias2: number): number {
  gradAvg[index] = step.mom * gradAvg[index] + (1 - step.mom) * grad;
  sqrAvg[index] = SQR_MOM * sqrAvg[index] + (1 - SQR_MOM) * grad * grad;
  return ((step.lr / debias1) * gradAvg[index]) / (Math.sqrt(sqrAvg[index] / debias2) + EPS);
}

/** log Σ exp(v), stable. */
function logSumExp(values: Float64Array): number {
  let max = -Infinity;
  for (const value of values) max = Math.max(max, value);
  let sum = 0;
  for (const value of values) sum += Math.exp(value - max);
  return max + Math.log(sum);
}

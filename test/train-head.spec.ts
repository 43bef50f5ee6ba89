/** trainHead on synthetic features: the weights kept are those of the epoch with the lowest validation loss. */
import assert from "node:assert/strict";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { trainHead, type HeadData } from "../src/core/train/train-head";

/** Few samples, many noise features and one weak signal: a one-cycle run at a high rate overfits after a few epochs. */
function overfittingData(): HeadData {
  const random = createSeededRandom(7);
  const featureLength = 300;
  const count = 80;
  const features = new Float32Array(count * featureLength);
  const labels: number[] = [];
  for (let row = 0; row < count; row++) {
    const label = row % 2;
    labels.push(label);
    for (let i = 0; i < featureLength; i++) features[row * featureLength + i] = random.next() * 2 - 1;
    features[row * featureLength] += label === 1 ? 0.6 : -0.6;
  }
  const rows = Array.from({ length: count }, (_, row) => row);
  return {
    features,
    featureLength,
    classes: 2,
    train: rows.slice(0, 40).map((row) => ({ rows: [row], label: labels[row] })),
    valid: rows.slice(40).map((row) => ({ rows: [row], label: labels[row] })),
  };
}

describe("trainHead keeps the best epoch", () => {
  it("returns the weights of the epoch with the lowest validation loss, not the last one", async () => {
    const data = overfittingData();
    const trained = await trainHead({ data, settings: { epochs: 30, learningRate: 0.05, batchSize: 8, dropout: 0, weightDecay: 0, seed: 1, heads: 1 } });
    const losses = trained.epochs.map((epoch) => epoch.validLoss);
    const best = losses.indexOf(Math.min(...losses));
    assert.equal(trained.keptEpoch, best);
    // The data is built to overfit: otherwise this test could not tell "kept" from "last".
    assert.ok(best < losses.length - 1 && losses[losses.length - 1] > losses[best] * 1.05, `losses ${losses.map((l) => l.toFixed(3)).join(" ")}`);
    const meanLoss = data.valid.reduce((total, item) => total - trained.logProbabilities(item.rows[0])[item.label], 0) / data.valid.length;
    assert.ok(Math.abs(meanLoss - losses[best]) < 1e-6, `the kept head's validation loss ${meanLoss} vs epoch ${best}'s ${losses[best]}`);
  });

  it("with several heads side by side, keeps the epoch where their average is best, and that average is the model", async () => {
    const data = overfittingData();
    const trained = await trainHead({ data, settings: { epochs: 30, learningRate: 0.05, batchSize: 8, dropout: 0.3, weightDecay: 0, seed: 1, heads: 4 } });
    const losses = trained.epochs.map((epoch) => epoch.validLoss);
    assert.equal(trained.keptEpoch, losses.indexOf(Math.min(...losses)));
    const meanLoss = data.valid.reduce((total, item) => total - trained.logProbabilities(item.rows[0])[item.label], 0) / data.valid.length;
    assert.ok(Math.abs(meanLoss - losses[trained.keptEpoch]) < 1e-6, `the kept model's validation loss ${meanLoss} vs its epoch's ${losses[trained.keptEpoch]}`);
  });

  it("averaged heads move less with the seed than one head does", async () => {
    const data = overfittingData();
    const spread = async (heads: number): Promise<number> => {
      const runs = [];
      for (const seed of [1, 2, 3, 4, 5, 6]) runs.push(await trainHead({ data, settings: { epochs: 6, learningRate: 0.05, batchSize: 8, dropout: 0.5, weightDecay: 0, seed, heads } }));
      // Per validation row, the variance over seeds of its log-odds; then the mean over rows.
      let total = 0;
      for (const item of data.valid) {
        const odds = runs.map((run) => { const logP = run.logProbabilities(item.rows[0]); return logP[1] - logP[0]; });
        const mean = odds.reduce((a, b) => a + b, 0) / odds.length;
        total += odds.reduce((a, b) => a + (b - mean) ** 2, 0) / odds.length;
      }
      return total / data.valid.length;
    };
    const [one, five] = [await spread(1), await spread(5)];
    assert.ok(five < one * 0.5, `variance over seeds: one head ${one.toFixed(4)}, five heads ${five.toFixed(4)}`);
  });

  it("scores a validation picture seen in several views by the softmax of its views' mean logits, in the epoch table too", async () => {
    const plain = overfittingData();
    const f = plain.featureLength;
    // Each validation picture gets a second row: a noisy copy, as a test-time view is a changed copy of the picture.
    const random = createSeededRandom(11);
    const features = new Float32Array(plain.features.length + plain.valid.length * f);
    features.set(plain.features);
    const valid = plain.valid.map((item, k) => {
      const copy = plain.features.length / f + k;
      for (let i = 0; i < f; i++) features[copy * f + i] = plain.features[item.rows[0] * f + i] + (random.next() - 0.5);
      return { rows: [item.rows[0], copy], label: item.label };
    });
    const data = { ...plain, features, valid };
    const trained = await trainHead({ data, settings: { epochs: 8, learningRate: 0.05, batchSize: 8, dropout: 0, weightDecay: 0, seed: 1, heads: 1 } });
    let loss = 0;
    let differs = 0;
    for (const item of valid) {
      const [a, b] = item.rows.map((row) => trained.logProbabilities(row));
      const both = trained.logProbabilitiesOfViews(item.rows);
      // Softmax of the mean logits (log-probabilities are logits shifted by a constant per view).
      const mean = [0, 1].map((k) => (a[k] + b[k]) / 2);
      const norm = Math.log(Math.exp(mean[0]) + Math.exp(mean[1]));
      [0, 1].forEach((k) => assert.ok(Math.abs(both[k] - (mean[k] - norm)) < 1e-9));
      if (Math.abs(both[1] - a[1]) > 1e-3) differs += 1;
      loss -= both[item.label];
    }
    assert.ok(differs > valid.length / 2, "the second view changes most pictures' scores, so the check can tell the two apart");
    assert.ok(Math.abs(loss / valid.length - trained.epochs[trained.keptEpoch].validLoss) < 1e-6, "the kept epoch's validation loss is the views' one");
  });

  it("keeps the last epoch when there is no validation split to compare", async () => {
    const data = { ...overfittingData(), valid: [] };
    const trained = await trainHead({ data, settings: { epochs: 3, learningRate: 0.01, batchSize: 8, dropout: 0, weightDecay: 0, seed: 1, heads: 1 } });
    assert.equal(trained.keptEpoch, 2);
  });
});

/** The threshold a synthesized-only run sets on its held-out real pictures (train/held-out-threshold.ts). */
import assert from "node:assert/strict";
import { chooseDecision } from "../src/core/export/choose-decision";
import { describeHeldOutThreshold } from "../src/core/synthesize/blend-sensitivity";
import { heldOutThreshold } from "../src/core/train/held-out-threshold";
import type { RunPrediction } from "../src/core/train/run-files";

function prediction(file: string, split: "train" | "valid", label: string, fake: number): RunPrediction {
  return { file, split, label, predicted: fake >= 0.5 ? "Deepfake" : label, probabilities: { [label]: 1 - fake, Deepfake: fake }, loss: 0 };
}

describe("heldOutThreshold", () => {
  // 20 validation real pictures scoring 0.01 … 0.20, and training pictures scoring higher (they must not count).
  const valid = Array.from({ length: 20 }, (_, i) => prediction(`Real/v${i}.jpg`, "valid", "Real", (i + 1) / 100));
  const trainPictures = Array.from({ length: 10 }, (_, i) => prediction(`Real/t${i}.jpg`, "train", "Real", 0.9));

  it("flags at most 5 % of the validation real pictures, as low as that allows", () => {
    const chosen = heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: [...trainPictures, ...valid] })!;
    // 5 % of 20 is one picture: the highest (0.20) may be flagged, the second (0.19) may not.
    assert.ok(chosen.threshold > 0.19 && chosen.threshold <= 0.2, String(chosen.threshold));
    assert.deepEqual({ ...chosen, threshold: undefined }, { label: "Deepfake", threshold: undefined, maxFpr: 0.05, realPictures: 20, fpr: 0.05 });
    const strict = heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: valid, maxFpr: 0 })!;
    assert.ok(strict.threshold > 0.2 && strict.threshold < 0.2000001, "no real picture flagged: just above the highest");
  });

  it("gives none to runs with fakes of their own, without validation real pictures, or when it would not lie below 0.5", () => {
    assert.equal(heldOutThreshold({ mode: "add", fakeLabel: "Deepfake", predictions: valid }), undefined);
    assert.equal(heldOutThreshold({ mode: "off", fakeLabel: "Deepfake", predictions: valid }), undefined);
    assert.equal(heldOutThreshold({ mode: "only", fakeLabel: undefined, predictions: valid }), undefined);
    assert.equal(heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: trainPictures }), undefined);
    const certain = [prediction("Real/a.jpg", "valid", "Real", 1), prediction("Real/b.jpg", "valid", "Real", 1)];
    assert.equal(heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: certain }), undefined);
    // Held-out real pictures scoring 0.3–0.7: the threshold for 5 % would lie above 0.5, less sensitive than the arg-max.
    const high = Array.from({ length: 20 }, (_, i) => prediction(`Real/h${i}.jpg`, "valid", "Real", 0.3 + i / 50));
    assert.equal(heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: high }), undefined);
    assert.ok(heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: high, maxFpr: 0.5 })!.threshold < 0.5, "a larger budget brings it below 0.5");
  });

  it("is what export records unless --threshold or --max-fpr says otherwise, and is said in words", async () => {
    const held = heldOutThreshold({ mode: "only", fakeLabel: "Deepfake", predictions: valid })!;
    const base = { labels: ["Real", "Deepfake"], runId: "run", projectDir: "/nonexistent", heldOut: held };
    assert.deepEqual(await chooseDecision({ ...base, request: {} }), { label: "Deepfake", threshold: held.threshold, method: "held-out-reals", maxFpr: 0.05, validation: { realPictures: 20, fpr: 0.05 } });
    assert.deepEqual(await chooseDecision({ ...base, request: { threshold: 0.7 } }), { label: "Deepfake", threshold: 0.7, method: "given" });
    // A run of other labels (metrics.json edited by hand) gets no threshold rather than one for a label it lacks.
    assert.equal(await chooseDecision({ ...base, labels: ["Real", "Fake"], request: {} }), undefined);
    assert.equal(await chooseDecision({ ...base, heldOut: undefined, request: {} }), undefined);
    assert.equal(describeHeldOutThreshold(held), `Decision threshold ${held.threshold.toFixed(3)}: "Deepfake" from that probability up, set to flag at most 5 % of the 20 held-out real pictures (it flags 5 %), because synthesized fakes are easier to catch than real swaps and the most probable label would miss more of them. Export records it; a threshold chosen at export (by hand, or from an evaluation of real pictures) replaces it.`);
  });
});

/** The parts of the extension that need no VS Code: the webview protocol's runtime validation and the settings merge. */
import { strict as assert } from "node:assert";
import { fillFromSettings } from "../../src/extension/fill-from-settings";
import { parseCleanerFromWebview, parseCleanerToWebview, parseTrainingFromWebview, parseTrainingToWebview, MAX_DECISIONS } from "../../src/shared/protocol";

describe("extension glue without VS Code", () => {
  describe("webview protocol validation", () => {
    it("accepts the cleaner's well-formed messages and copies only known fields", () => {
      assert.deepEqual(parseCleanerFromWebview({ type: "cleaner/ready", extra: 1 }), { type: "cleaner/ready" });
      const apply = parseCleanerFromWebview({
        type: "cleaner/apply",
        decisions: [
          { file: "Real/a.jpg", choice: { action: "delete" }, sneaky: true },
          { file: "Real/b.jpg", choice: { action: "relabel", label: "Fake" } },
        ],
      });
      assert.deepEqual(apply, { type: "cleaner/apply", decisions: [{ file: "Real/a.jpg", choice: { action: "delete" } }, { file: "Real/b.jpg", choice: { action: "relabel", label: "Fake" } }] });
    });

    it("rejects malformed or hostile cleaner messages", () => {
      const bad: unknown[] = [
        null,
        "cleaner/apply",
        { type: "cleaner/apply" },
        { type: "cleaner/apply", decisions: [{ file: "", choice: { action: "delete" } }] },
        { type: "cleaner/apply", decisions: [{ file: "a/b.jpg", choice: { action: "rm -rf" } }] },
        { type: "cleaner/apply", decisions: [{ file: "a/b.jpg", choice: { action: "relabel" } }] },
        { type: "cleaner/apply", decisions: [{ file: "a/b.jpg", choice: { action: "delete", label: "x" } }] },
        { type: "cleaner/apply", decisions: [{ file: 7, choice: { action: "keep" } }] },
        { type: "cleaner/apply", decisions: Array.from({ length: MAX_DECISIONS + 1 }, () => ({ file: "a/b.jpg", choice: { action: "keep" } })) },
        { type: "cleaner/delete-everything" },
      ];
      for (const message of bad) assert.equal(parseCleanerFromWebview(message), undefined, JSON.stringify(message)?.slice(0, 80));
    });

    it("validates the training panel's messages both ways", () => {
      assert.deepEqual(parseTrainingFromWebview({ type: "training/export", runId: "20261126-1" }), { type: "training/export", runId: "20261126-1" });
      assert.equal(parseTrainingFromWebview({ type: "training/export" }), undefined);
      const epoch = { epoch: 0, trainLoss: 0.7, validLoss: 0.6, errorRate: 0.25, seconds: 0.1 };
      assert.ok(parseTrainingToWebview({ type: "training/epoch", runId: "new run", epoch }));
      assert.equal(parseTrainingToWebview({ type: "training/epoch", runId: "new run", epoch: { ...epoch, trainLoss: Number.NaN } }), undefined);
      const run = { runId: "r1", status: "done", epochs: [epoch], errorRate: 0.25, confusion: { labels: ["a", "b"], matrix: [[1, 0], [1, 2]] } };
      assert.ok(parseTrainingToWebview({ type: "training/run", run }));
      assert.equal(parseTrainingToWebview({ type: "training/run", run: { ...run, status: "exploded" } }), undefined);
    });

    it("validates the cleaner's state before the webview renders it", () => {
      const item = { file: "a/b.jpg", src: "https://file+.vscode-resource/x", split: "train", label: "a", predicted: "b", confidence: 0.9, loss: 2.3 };
      assert.ok(parseCleanerToWebview({ type: "cleaner/state", state: { labels: ["a", "b"], items: [item], canUndo: false, readOnly: false } }));
      assert.equal(parseCleanerToWebview({ type: "cleaner/state", state: { labels: ["a", "b"], items: [{ ...item, split: "test" }], canUndo: false, readOnly: false } }), undefined);
    });
  });

  describe("fillFromSettings", () => {
    it("fills only what the project file lacks; the file always wins", () => {
      const raw = { categories: [{ label: "a" }, { label: "b" }], maxImages: 50, train: { epochs: 4 } };
      const filled = fillFromSettings(raw, { maxImages: 10, resizeMax: 256, "train.epochs": 20, "train.seed": 7, categories: [{ label: "x" }, { label: "y" }] });
      assert.deepEqual(filled, { categories: [{ label: "a" }, { label: "b" }], maxImages: 50, resizeMax: 256, train: { epochs: 4, seed: 7 } });
      assert.deepEqual(raw.train, { epochs: 4 }, "the input is not modified");
    });

    it("adds a missing section and leaves a malformed one for the validator to report", () => {
      assert.deepEqual(fillFromSettings({}, { "train.validPct": 0.3, "train.backbone": "" }), { train: { validPct: 0.3 } });
      assert.deepEqual(fillFromSettings({ train: 5 }, { "train.validPct": 0.3 }), { train: 5 });
    });
  });
});

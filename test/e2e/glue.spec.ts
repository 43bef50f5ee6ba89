/**
 * The parts of the extension that need no VS Code: the webview protocol's runtime validation, the settings merge and
 * reading a saved check report back for a restored panel (real files in a temp folder).
 */
import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readSavedCheck, type SavedCheck } from "../../src/extension/check-reports";
import { fillFromSettings } from "../../src/extension/fill-from-settings";
import { parseCleanerFromWebview, parseCleanerToWebview, parseTrainingFromWebview, parseTrainingToWebview, MAX_DECISIONS } from "../../src/shared/protocol";
import { makeTempDir, removeDir } from "../support/temp-dir";

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

  describe("readSavedCheck (a check panel restored after a reload)", () => {
    let tmp: string;
    let reportsRoot: string;
    const clip = "/work/call.webm";

    /** What checkMedia writes to <dir>/report.json, reduced to what the panel reads (the full shape is core's). */
    function savedCheck(file: string, dir: string): Record<string, unknown> {
      const frame = path.join(dir, "worst-1-at-0m01.5s.jpg");
      return {
        file,
        kind: "video",
        video: { sampledFps: 2, durationSeconds: 2 },
        model: { fakeLabel: "Deepfake" },
        threshold: 0.5,
        summary: {
          frames: 4, framesWithFaces: 4, framesWithoutFaces: 0, faces: 4, facesAboveThreshold: 2, noFaceRanges: [],
          perSecond: [{ second: 0, probability: 0.2 }, { second: 1, probability: 0.9 }],
          worst: [{ time: 1.5, probability: 0.9, image: frame }],
        },
        verdict: { level: "likely-manipulated", headline: "Likely manipulated by this model's standards", text: "Likely manipulated by this model's standards: 2 of 4 face(s)." },
        warnings: [],
        report: { dir, json: path.join(dir, "report.json"), markdown: path.join(dir, "report.md"), worstFrames: [frame] },
      };
    }

    /** Writes a report folder and returns the state a panel would have saved for it. */
    async function writeReport(dir: string, edit: (check: Record<string, unknown>) => void = () => undefined): Promise<{ file: string; reportJson: string }> {
      const check = savedCheck(clip, dir);
      edit(check);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, "report.json"), JSON.stringify(check));
      return { file: clip, reportJson: path.join(dir, "report.json") };
    }

    const reasonOf = (read: SavedCheck): string => ("reason" in read ? read.reason : "(read without complaint)");

    beforeEach(async () => {
      tmp = await makeTempDir("dds-saved-check-");
      reportsRoot = path.join(tmp, "storage", "check-reports");
      await fs.mkdir(reportsRoot, { recursive: true });
    });

    afterEach(async () => {
      await removeDir(tmp);
    });

    it("reads back a report of the checked file from the check-reports folder", async () => {
      const state = await writeReport(path.join(reportsRoot, "call.webm"));
      const read = await readSavedCheck({ state, reportsRoot });
      assert.ok("check" in read, "reason" in read ? read.reason : "");
      assert.equal(read.check.file, clip);
      assert.equal(read.check.verdict.headline, "Likely manipulated by this model's standards");
    });

    it("refuses a report outside the folder, also through .., a symlink or a nested folder", async () => {
      const outside = await writeReport(path.join(tmp, "elsewhere"));
      await fs.symlink(path.join(tmp, "elsewhere"), path.join(reportsRoot, "linked"));
      const nested = await writeReport(path.join(reportsRoot, "a", "b"));
      const states = [
        outside,
        { file: clip, reportJson: path.join(reportsRoot, "..", "..", "elsewhere", "report.json") },
        { file: clip, reportJson: path.join(reportsRoot, "linked", "report.json") },
        nested,
      ];
      for (const state of states) assert.deepEqual(await readSavedCheck({ state, reportsRoot }), { reason: "Its saved report is not one of Deepfake Studio's check reports, so it was not opened." }, state.reportJson);
    });

    it("refuses paths that are relative or not a report.json", async () => {
      const state = await writeReport(path.join(reportsRoot, "call.webm"));
      await fs.writeFile(path.join(reportsRoot, "call.webm", "report.md"), "# report\n");
      for (const bad of [{ ...state, file: "call.webm" }, { ...state, reportJson: path.relative(process.cwd(), state.reportJson) }, { ...state, reportJson: path.join(reportsRoot, "call.webm", "report.md") }]) {
        assert.ok("reason" in (await readSavedCheck({ state: bad, reportsRoot })), JSON.stringify(bad));
      }
    });

    it("refuses a report of another file, one that moved, or one whose frames lie outside its folder", async () => {
      const dir = path.join(reportsRoot, "call.webm");
      const damaged = { reason: "Its saved report is damaged or from another version of Deepfake Studio." };
      const edits: Array<(check: Record<string, unknown>) => void> = [
        (check) => { check.file = "/work/other.webm"; },
        (check) => { check.report = { ...(check.report as object), dir: path.join(tmp, "elsewhere") }; },
        (check) => { check.report = { ...(check.report as object), markdown: "/etc/passwd" }; },
        (check) => { (check.summary as { worst: Array<{ image: string }> }).worst[0].image = "/etc/ssl/private/key.jpg"; },
        (check) => { delete check.report; },
      ];
      for (const edit of edits) assert.deepEqual(await readSavedCheck({ state: await writeReport(dir, edit), reportsRoot }), damaged, String(edit));
    });

    it("says why when the report is gone, unreadable or incomplete (never throws)", async () => {
      const dir = path.join(reportsRoot, "call.webm");
      const state = await writeReport(dir);
      await fs.rm(dir, { recursive: true });
      assert.match(reasonOf(await readSavedCheck({ state, reportsRoot })), /report is gone/);
      assert.match(reasonOf(await readSavedCheck({ state, reportsRoot: path.join(tmp, "no-storage") })), /report is gone/, "storage cleared as a whole");

      await writeReport(dir);
      await fs.writeFile(state.reportJson, "{ not json");
      assert.match(reasonOf(await readSavedCheck({ state, reportsRoot })), /could not be read \(.*JSON/);
      const incomplete: Array<(check: Record<string, unknown>) => void> = [
        (check) => { delete check.summary; },
        (check) => { check.verdict = { level: "fake", headline: "Fake", text: "Fake." }; },
        (check) => { (check.summary as { perSecond: unknown }).perSecond = "all of it"; },
        (check) => { check.threshold = 2; },
      ];
      for (const edit of incomplete) assert.match(reasonOf(await readSavedCheck({ state: await writeReport(dir, edit), reportsRoot })), /damaged/, String(edit));
    });
  });
});

/**
 * The "Evaluate on Folder" panel's webview bundle (out/dist/webview/evaluation.js) in headless Chromium under the
 * panel's CSP with a stub acquireVsCodeApi: it asks for its view, renders the numbers, both confusion matrices, the
 * ROC curve and reliability diagram as inline SVG, the pictures not scored (names as text, never HTML), posts only
 * protocol messages and ignores malformed ones. Plus the protocol guards.
 */
import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { bootstrapAucInterval } from "../src/core/evaluate/bootstrap-interval";
import { calibration } from "../src/core/evaluate/calibration";
import { confusionMatrix } from "../src/core/evaluate/confusion-matrix";
import { EVALUATION_FORMAT, type Evaluation } from "../src/core/evaluate/evaluation-types";
import { rocAuc } from "../src/core/evaluate/roc-auc";
import { rocCurve } from "../src/core/evaluate/roc-curve";
import { thresholdForFpr } from "../src/core/shared/threshold-for-fpr";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { evaluationViewOf } from "../src/extension/webviews/evaluation-view";
import { writeEvaluationReport } from "../src/core/evaluate/write-evaluation-report";
import { readSavedEvaluation, type SavedEvaluation } from "../src/extension/saved-evaluation";
import { isEvaluationView, parseEvaluationFromWebview, parseEvaluationPanelState, parseEvaluationToWebview, type EvaluationPanelState, type EvaluationView } from "../src/shared/evaluation-protocol";
import { makeTempDir, removeDir } from "./support/temp-dir";
import { openWebviewBundle, assertSharedPanelStyle } from "./support/webview-harness";

const ROOT = path.resolve(__dirname, "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts");

/** An evaluation as evaluateFolder makes it, from the core measures on seeded scores. */
function sampleEvaluation(): Evaluation {
  const random = createSeededRandom(5);
  const positives = Array.from({ length: 80 }, (_, i) => i % 2 === 0);
  const scores = positives.map((positive) => Math.min(1, Math.max(0, random.next() * 0.7 + (positive ? 0.3 : 0))));
  const files = scores.map((_, i) => `/data/test/${positives[i] ? "Deepfake" : "Real"}/${i}.jpg`);
  const atMaxFpr = thresholdForFpr({ scores, positives, maxFpr: 0.05 });
  const flagged = scores.map((score) => score > 0.5);
  return {
    format: EVALUATION_FORMAT,
    createdAt: "2026-12-03T17:00:00.000Z",
    folders: ["/data/test"],
    model: { dir: "/project/export", labels: ["Deepfake", "Real"], runId: "run-1", faceCrop: true },
    fakeLabel: { label: "Deepfake", index: 0, reason: "contains-fake" },
    counts: { scored: 80, fake: 40, real: 40, noFace: 1, unreadable: 1, perLabel: [] },
    accuracy: confusionMatrix({ positives, flagged }).accuracy,
    balancedAccuracy: confusionMatrix({ positives, flagged }).balancedAccuracy,
    current: { rule: "arg-max", confusion: confusionMatrix({ positives, flagged }) },
    auc: rocAuc({ scores, positives }),
    aucInterval: bootstrapAucInterval({ scores, positives, resamples: 200 }),
    roc: rocCurve({ scores, positives }),
    atMaxFpr: { ...atMaxFpr, confusion: confusionMatrix({ positives, flagged: scores.map((score) => score >= atMaxFpr.threshold) }) },
    calibration: calibration({ scores, positives }),
    pictures: scores.map((probability, i) => ({ file: files[i], label: positives[i] ? "Deepfake" : "Real", fake: positives[i], probability, predicted: flagged[i] ? "Deepfake" : "Real" })),
    unscored: [
      { file: "/data/test/Real/<img src=x onerror=window.__pwned=1>.jpg", label: "Real", reason: "no-face", error: "No face found" },
      { file: "/data/test/Deepfake/cut.jpg", label: "Deepfake", reason: "unreadable", error: "cut short" },
    ],
    warnings: ["1 picture(s) show no face the model could score."],
    files: { dir: "/e", json: "/e/evaluation.json", markdown: "/e/report.md", rocSvg: "/e/roc.svg", rocPng: "/e/roc.png", calibrationSvg: "/e/calibration.svg", calibrationPng: "/e/calibration.png" },
    seconds: 1,
  };
}

describe("evaluation panel webview", function () {
  this.timeout(120_000);
  let tmp: string;
  let browser: Browser | undefined;
  let page: Page;
  let evaluation: Evaluation;
  let view: EvaluationView;
  const violations: string[] = [];
  const posted = () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);

  before(async () => {
    tmp = await makeTempDir("dds-evaluation-webview-");
    evaluation = sampleEvaluation();
    view = evaluationViewOf(evaluation);
    ({ browser, page } = await openWebviewBundle({ dir: tmp, bundle: "evaluation.js", style: "evaluation.css", violations }));
  });

  after(async () => {
    await browser?.close();
    if (tmp) await removeDir(tmp);
  });

  it("asks for its view, then renders the numbers, the confusion matrices and both charts as inline SVG", async () => {
    assert.deepEqual(await posted(), [{ type: "evaluation/ready" }]);
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view });
    await page.waitForSelector("#auc");
    assert.equal(await page.textContent("#auc"), `${evaluation.auc!.toFixed(3)} (95% CI ${evaluation.aucInterval!.low.toFixed(3)}–${evaluation.aucInterval!.high.toFixed(3)}, 200 bootstrap resamples)`);
    assert.match((await page.textContent("#threshold")) ?? "", new RegExp(`^${evaluation.atMaxFpr!.threshold.toFixed(3)}: flags`));
    assert.equal(await page.textContent("#ece"), evaluation.calibration.ece.toFixed(3));
    assert.equal(await page.textContent("#confusion-max-fpr .fp"), String(evaluation.atMaxFpr!.confusion.falsePositives));
    assert.equal(await page.textContent("#confusion-current .tp"), String(evaluation.current.confusion.truePositives));
    const points = (await page.getAttribute("#roc polyline.roc-line", "points"))?.split(" ") ?? [];
    assert.equal(points.length, evaluation.roc.length);
    assert.equal(await page.locator("#roc circle.operating-point").count(), 2);
    assert.notEqual(await page.$eval("#roc polyline.roc-line", (line) => getComputedStyle(line).stroke), "none", "the curve is drawn (styled by class, no inline style)");
    assert.equal(await page.locator("#reliability rect.bin").count(), evaluation.calibration.bins.filter((bin) => bin.count > 0).length);
    const box = await page.locator("#roc").boundingBox();
    assert.ok(box && box.width > 200 && box.height > 200, "the chart has a size");
    assert.match((await page.textContent("#counts")) ?? "", /80 pictures scored: 40 "Deepfake", 40 other; 1 without a face; 1 unreadable/);
    assert.deepEqual(violations, [], "no CSP violation");
    await fs.mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "evaluation-panel.png"), fullPage: true });
  });

  it("shows an evaluation of real pictures alone: the false alarms and the threshold, no AUC or ROC curve", async () => {
    const scores = [0.02, 0.1, 0.4, 0.05, 0.7, 0.01, 0.2, 0.03, 0.08, 0.15];
    const positives = scores.map(() => false);
    const atMaxFpr = thresholdForFpr({ scores, positives, maxFpr: 0.1 });
    const flagged = scores.map((score) => score > 0.5);
    const realOnly: Evaluation = {
      ...sampleEvaluation(),
      counts: { scored: 10, fake: 0, real: 10, noFace: 0, unreadable: 0, perLabel: [] },
      accuracy: confusionMatrix({ positives, flagged }).accuracy,
      balancedAccuracy: confusionMatrix({ positives, flagged }).balancedAccuracy,
      current: { rule: "arg-max", confusion: confusionMatrix({ positives, flagged }) },
      auc: null,
      aucInterval: null,
      roc: [],
      atMaxFpr: { ...atMaxFpr, confusion: confusionMatrix({ positives, flagged: scores.map((score) => score >= atMaxFpr.threshold) }) },
      calibration: calibration({ scores, positives }),
      pictures: scores.map((probability, i) => ({ file: `/data/other-day/Real/${i}.jpg`, label: "Real", fake: false, probability, predicted: flagged[i] ? "Deepfake" : "Real" })),
      unscored: [],
    };
    const realView = evaluationViewOf(realOnly);
    assert.ok(isEvaluationView(realView));
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view: realView });
    await page.waitForFunction(() => document.querySelector("#auc")?.textContent?.startsWith("–"));
    assert.equal(await page.textContent("#auc"), "– (needs both fake and real pictures)");
    assert.equal(await page.textContent("#threshold"), "0.400: flags 10.0% of real pictures, fakes caught unknown (none given)");
    assert.equal(await page.locator("#roc").count(), 0);
    assert.equal(await page.textContent("#confusion-max-fpr .fp"), "1");
    assert.equal(await page.locator("#reliability").count(), 1);
    assert.equal(await page.locator("#export-threshold").count(), 1, "a threshold set on real pictures alone can be exported");
    assert.deepEqual(violations, [], "no CSP violation");
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view });
    await page.waitForSelector("#roc");
  });

  it("links the shared panel.css before evaluation.css and takes body, header and caption styles from it alone", async () => {
    await assertSharedPanelStyle(page, "evaluation.css");
  });

  it("offers no threshold to export when the evaluation has none or was not written, or its run is unknown", async () => {
    const { model, ...rest } = evaluation;
    const withoutRun = evaluationViewOf({ ...rest, model: { dir: model.dir, labels: model.labels, faceCrop: model.faceCrop } });
    const fakesOnly = evaluationViewOf({ ...evaluation, atMaxFpr: null });
    const unwritten = evaluationViewOf({ ...evaluation, files: undefined });
    for (const candidate of [withoutRun, fakesOnly, unwritten]) {
      assert.equal(candidate.canExportThreshold, false);
      await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view: candidate });
      await page.waitForSelector("#ece");
      assert.equal(await page.locator("#export-threshold").count(), 0);
    }
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view });
    await page.waitForSelector("#export-threshold");
  });

  it("lists the pictures not scored as text, never HTML", async () => {
    assert.equal(await page.locator("#unscored li").count(), 2);
    assert.match((await page.textContent("#unscored")) ?? "", /<img src=x onerror=window\.__pwned=1>\.jpg \(Real\): no face/);
    assert.equal(await page.locator("#unscored img").count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  it("posts only protocol messages and ignores malformed ones", async () => {
    await page.click("#open-report");
    await page.click("#reveal-report");
    await page.click("#export-threshold");
    assert.deepEqual((await posted()).slice(1), [{ type: "evaluation/openReport" }, { type: "evaluation/revealReport" }, { type: "evaluation/exportWithThreshold" }]);
    const before = await page.textContent("#auc");
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view: { ...view, auc: { ...view.auc!, value: 7 } } });
    await page.evaluate(() => window.postMessage({ type: "evaluation/other" }, "*"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await page.textContent("#auc"), before);
  });

  it("saves the path that comes with a view as its state, and only that; a message with a malformed state is dropped whole", async () => {
    const state: EvaluationPanelState = { json: "/project/evaluation/2026-12-03T17-00-00Z/evaluation.json" };
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view, state });
    await waitForState(page, state);
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view: { ...view, title: "other" }, state: { json: 7 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await page.textContent("h1"), `Evaluation: ${view.title}`);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __state: unknown }).__state), state);
  });

  it("shows a restored evaluation that cannot be shown: the reason, nothing of the previous view; a view brings it back", async () => {
    const state: EvaluationPanelState = { json: "/project/evaluation/gone/evaluation.json" };
    const reason = "This evaluation cannot be shown again. /project/evaluation/gone/evaluation.json is gone. Run Evaluate on Folder again to see a fresh one.";
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/lost", lost: { title: "gone", reason }, state });
    await page.waitForSelector("#lost");
    assert.equal(await page.textContent("h1"), "Evaluation: gone");
    assert.equal(await page.textContent("#lost"), reason);
    assert.equal(await page.locator("#auc, #roc, #open-report, .confusion").count(), 0, "nothing of the previous view is left");
    await waitForState(page, state);
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "evaluation/view", view });
    await page.waitForSelector("#auc");
    assert.equal(await page.locator("#lost").count(), 0);
    assert.deepEqual(violations, [], "no CSP violation");
  });

  it("protocol guards accept the view and refuse anything else", () => {
    assert.ok(isEvaluationView(view));
    assert.ok(parseEvaluationToWebview({ type: "evaluation/view", view }));
    assert.equal(parseEvaluationToWebview({ type: "evaluation/view", view: { ...view, roc: [[0, 2]] } }), undefined);
    assert.equal(parseEvaluationToWebview({ type: "evaluation/view", view: { ...view, unscored: [{ fileName: "a", label: "b", reason: "other" }] } }), undefined);
    assert.deepEqual(parseEvaluationFromWebview({ type: "evaluation/ready" }), { type: "evaluation/ready" });
    assert.equal(parseEvaluationFromWebview({ type: "evaluation/openReport", path: "/etc/passwd" }), undefined);
    assert.equal(parseEvaluationFromWebview({ type: "evaluation/exportWithThreshold", maxFpr: 0.5 }), undefined, "the threshold comes from the evaluation shown, never from the webview");
    assert.equal(parseEvaluationToWebview({ type: "evaluation/view", view: { ...view, canExportThreshold: "yes" } }), undefined);
    assert.equal(parseEvaluationFromWebview("evaluation/ready"), undefined);

    const state = { json: "/project/evaluation/x/evaluation.json" };
    assert.deepEqual(parseEvaluationToWebview({ type: "evaluation/view", view, state }), { type: "evaluation/view", view, state });
    assert.equal(parseEvaluationToWebview({ type: "evaluation/view", view, state: { json: "" } }), undefined);
    const lost = { title: "x", reason: "It is gone." };
    assert.deepEqual(parseEvaluationToWebview({ type: "evaluation/lost", lost, state }), { type: "evaluation/lost", lost, state });
    assert.equal(parseEvaluationToWebview({ type: "evaluation/lost", lost: { title: "x" } }), undefined);
    assert.equal(parseEvaluationToWebview({ type: "evaluation/lost", lost: { ...lost, open: "/etc/passwd" } }), undefined);
    assert.equal(parseEvaluationToWebview({ type: "evaluation/lost" }), undefined);
  });

  it("accepts a saved panel state with exactly one path and nothing else", () => {
    const state = { json: "/project/evaluation/x/evaluation.json" };
    assert.deepEqual(parseEvaluationPanelState(state), state);
    assert.deepEqual(parseEvaluationPanelState(JSON.parse(JSON.stringify(state))), state, "survives VS Code's JSON round trip");
    const bad: unknown[] = [undefined, null, "state", [state.json], {}, { ...state, extra: true }, { json: "" }, { json: 7 }, { json: "/a\0b/evaluation.json" }, { json: `/${"a".repeat(5000)}` }];
    for (const value of bad) assert.equal(parseEvaluationPanelState(value), undefined, JSON.stringify(value)?.slice(0, 80));
  });

  describe("readSavedEvaluation (a panel restored after a reload; real files)", () => {
    let workspace: string;
    let written: Evaluation;
    const reasonOf = (read: SavedEvaluation): string => ("reason" in read ? read.reason : "");

    before(async () => {
      workspace = path.join(tmp, "workspace");
      const { files, ...unwritten } = sampleEvaluation();
      void files;
      written = await writeEvaluationReport({ dir: path.join(workspace, "project", "evaluation", "2026-12-03T17-00-00Z"), evaluation: unwritten });
    });

    it("reads back an evaluation written inside the workspace, as the panel drew it", async () => {
      const read = await readSavedEvaluation({ state: { json: written.files!.json }, roots: [workspace] });
      assert.ok("evaluation" in read, reasonOf(read));
      assert.deepEqual(evaluationViewOf(read.evaluation), evaluationViewOf(written));
      assert.deepEqual(read.evaluation.files, written.files);
    });

    it("refuses a file outside the workspace folders (also through a symlink), or not named evaluation.json", async () => {
      const notOurs = { reason: "Its saved evaluation is not one of Deepfake Studio's evaluation folders in this workspace, so it was not opened." };
      assert.deepEqual(await readSavedEvaluation({ state: { json: written.files!.json }, roots: [path.join(tmp, "elsewhere")] }), notOurs);
      assert.deepEqual(await readSavedEvaluation({ state: { json: written.files!.json }, roots: [] }), notOurs);
      const outside = path.join(tmp, "outside");
      await fs.cp(written.files!.dir, outside, { recursive: true });
      await fs.symlink(outside, path.join(workspace, "link"));
      assert.deepEqual(await readSavedEvaluation({ state: { json: path.join(workspace, "link", "evaluation.json") }, roots: [workspace] }), notOurs);
      assert.deepEqual(await readSavedEvaluation({ state: { json: written.files!.markdown }, roots: [workspace] }), notOurs);
      assert.deepEqual(await readSavedEvaluation({ state: { json: "project/evaluation/2026-12-03T17-00-00Z/evaluation.json" }, roots: [workspace] }), notOurs);
    });

    it("says why when the file is gone, not JSON, damaged, or written somewhere else", async () => {
      assert.match(reasonOf(await readSavedEvaluation({ state: { json: path.join(workspace, "project", "evaluation", "deleted", "evaluation.json") }, roots: [workspace] })), /is gone \(the evaluation folder was deleted or moved\)/);
      const original = await fs.readFile(written.files!.json, "utf8");
      const edits: Array<[string, (value: Record<string, unknown>) => unknown, RegExp]> = [
        ["not JSON", () => undefined, /could not be read \(.*JSON/],
        ["without its calibration", (value) => ({ ...value, calibration: undefined }), /damaged or from another version/],
        ["an AUC of 7", (value) => ({ ...value, auc: 7 }), /damaged or from another version/],
        ["copied from another folder", (value) => ({ ...value, files: { ...(value.files as object), json: "/other/evaluation.json", dir: "/other" } }), /damaged or from another version/],
        ["a report.md elsewhere", (value) => ({ ...value, files: { ...(value.files as object), markdown: "/etc/report.md" } }), /damaged or from another version/],
      ];
      try {
        for (const [name, edit, reason] of edits) {
          const edited = edit(JSON.parse(original) as Record<string, unknown>);
          await fs.writeFile(written.files!.json, edited === undefined ? "{ not json" : JSON.stringify(edited));
          assert.match(reasonOf(await readSavedEvaluation({ state: { json: written.files!.json }, roots: [workspace] })), reason, name);
        }
      } finally {
        await fs.writeFile(written.files!.json, original);
      }
    });
  });
});

/** Waits until the webview has saved `state` (vscode.setState). */
async function waitForState(page: Page, state: EvaluationPanelState): Promise<void> {
  await page.waitForFunction((expected) => JSON.stringify((window as unknown as { __state: unknown }).__state) === JSON.stringify(expected), state, { timeout: 5_000 });
}

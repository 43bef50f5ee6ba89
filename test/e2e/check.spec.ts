/**
 * "Check for Deepfake" in a real VS Code (code-server + chromium): the workspace is the offline demo's project (its
 * export is the model) plus a clip made with ffmpeg from real and face-swapped frames (test/fixtures/make-clip.ts).
 * Explorer context menu → the panel (verdict, one bar per second, worst frames that seek the <video>) → Developer:
 * Reload Window brings the panel back from its saved state → with the report deleted, a reload says so and "Check
 * again" checks the file anew. Then Explorer → Evaluate on Folder on the project's data/ opens the evaluation panel, which
 * a reload brings back too, and which says so once its evaluation.json is gone. Screenshots land in
 * test-artifacts/e2e/check-*.png. Skipped without ffmpeg.
 */
import { strict as assert } from "node:assert";
import { promises as fs, existsSync } from "node:fs";
import * as path from "node:path";
import type { Frame, Page } from "playwright-core";
import type { MediaCheck } from "../../src/core/check/check-types";
import type { Evaluation } from "../../src/core/evaluate/evaluation-types";
import { runDemo } from "../../src/core/demo/run-demo";
import { hasFfmpeg, makeFaceSwapClip } from "../fixtures/make-clip";
import { requireSystem } from "../support/require-system";
import {
  clearArtifactsOnce,
  ensureCodeServer,
  explorerContextMenu,
  extensionUnderTest,
  reloadWindow,
  REPO_ROOT,
  screenshot,
  startWorkbench,
  waitFor,
  webviewFrame,
  type Workbench,
} from "./harness";

const CLIP = "call.webm";
/** A check of the 8 s clip on 2 cores, plus loading the face detector and the model the first time. */
const CHECK_TIMEOUT_MS = 240_000;

describe("Check for Deepfake (code-server e2e)", function () {
  this.timeout(180_000);
  let wb: Workbench;
  let clipSeconds = 0;
  let failed = false;
  const suiteStarted = Date.now();
  const timings: Record<string, number> = {};

  before(async function () {
    this.timeout(900_000);
    requireSystem(await hasFfmpeg(), "ffmpeg/ffprobe", "ffmpeg");
    ensureCodeServer();
    await clearArtifactsOnce();
    assert.ok(existsSync(path.join(REPO_ROOT, "out", "dist", "extension.js")), "run `npm run build` first (out/dist/extension.js is missing)");
    const { vsix, packagedMs } = extensionUnderTest();
    if (packagedMs !== undefined) timings.packageMs = packagedMs;
    const cache = path.join(REPO_ROOT, "test-artifacts", "e2e-cache");
    wb = await startWorkbench({
      env: {},
      vsix,
      prepare: async (workspace) => {
        let started = Date.now();
        // The demo's project in the workspace root: deepfake-studio.json and export/ are what the check needs.
        await runDemo({ projectDir: workspace, cacheDir: cache, fakes: "other-person" });
        timings.demoMs = Date.now() - started;
        started = Date.now();
        // Made beside the workspace (the run folder), so the Explorer shows only the clip.
        const clip = await makeFaceSwapClip({ dir: path.join(path.dirname(workspace), "clip"), container: "webm", width: 480, height: 360 });
        await fs.copyFile(clip.file, path.join(workspace, CLIP));
        clipSeconds = clip.swapped[1];
        timings.clipMs = Date.now() - started;
      },
    });
    Object.assign(timings, wb.timings);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    failed = true;
    if (wb) await screenshot(wb.page, `check-failed-${(this.currentTest.title ?? "test").replace(/\W+/g, "-")}`).catch(() => undefined);
  });

  after(async () => {
    await wb?.stop({ keep: failed });
    timings.suiteMs = Date.now() - suiteStarted;
    console.log(`    e2e check timings (ms): ${JSON.stringify(timings)}; screenshots in test-artifacts/e2e/`);
  });

  it("Explorer → Check for Deepfake opens the panel: verdict, one bar per second, worst frames that seek the video", async function () {
    this.timeout(CHECK_TIMEOUT_MS + 60_000);
    const started = Date.now();
    await explorerContextMenu(wb.page, CLIP, "Check for Deepfake");
    const panel = await webviewFrame(wb.page, "#verdict", CHECK_TIMEOUT_MS);
    timings.checkMs = Date.now() - started;
    const { check } = await savedReport(wb.userData);
    assert.equal(check.file, path.join(wb.workspace, CLIP));
    await assertPanelShows(panel, check, clipSeconds);
    const seeks = await seekThroughWorstFrames(panel, check);
    assert.ok(seeks > 0, "at least one worst frame is away from the start, so clicking it moves the video");
    await wb.page.locator(".tabs-container .tab", { hasText: `Check: ${CLIP}` }).waitFor({ timeout: 5_000 });
    await screenshotTop(wb.page, panel, "check-01-panel");
  });

  it("comes back with its content after Developer: Reload Window", async () => {
    const { check } = await savedReport(wb.userData);
    const started = Date.now();
    await reloadWindow(wb.page);
    const panel = await webviewFrame(wb.page, "#verdict", 90_000);
    timings.restoreMs = Date.now() - started;
    await assertPanelShows(panel, check, clipSeconds);
    assert.ok((await seekThroughWorstFrames(panel, check)) > 0, "the restored thumbnails still seek the video");
    assert.equal(await checkTabs(wb.page), 1, "one panel for the clip");
    await screenshotTop(wb.page, panel, "check-02-restored");
  });

  it("says when a restored panel's report is gone, and Check again makes a new one in the same panel", async function () {
    this.timeout(CHECK_TIMEOUT_MS + 120_000);
    const { file } = await savedReport(wb.userData);
    await fs.rm(path.dirname(file), { recursive: true });
    await reloadWindow(wb.page);
    const lost = await webviewFrame(wb.page, "#lost", 90_000);
    assert.match((await lost.locator("#lost").textContent()) ?? "", /cannot be shown again\. Its saved report is gone .*Check the file again/);
    assert.equal(await lost.locator("#verdict").count(), 0, "no stale verdict");
    await screenshot(wb.page, "check-03-report-gone");

    await lost.locator("#check-again").click();
    const panel = await webviewFrame(wb.page, "#verdict", CHECK_TIMEOUT_MS);
    const fresh = await savedReport(wb.userData);
    assert.equal(fresh.file, file, "the new report is written where the old one was");
    await assertPanelShows(panel, fresh.check, clipSeconds);
    assert.equal(await framesWith(wb.page, "#lost"), 0, "the lost panel itself shows the new check");
    assert.equal(await checkTabs(wb.page), 1, "no second panel for the same clip");
    await screenshotTop(wb.page, panel, "check-04-checked-again");
  });

  it("the check panel loads under its strict CSP without violations", () => {
    const violations = wb.consoleErrors.filter((line) => /Content Security Policy/i.test(line) && /deepfake|vscode-cdn|vscode-resource/i.test(line));
    assert.deepEqual(violations, []);
  });

  // The evaluation panel has the same serializer; the demo's data/ (one sub-folder per category) is the folder evaluated.
  it("Explorer → Evaluate on Folder opens the evaluation panel, Developer: Reload Window brings it back, and its threshold goes into the export", async function () {
    this.timeout(CHECK_TIMEOUT_MS + 240_000);
    await explorerContextMenu(wb.page, "data", "Evaluate on Folder");
    const panel = await webviewFrame(wb.page, "#auc", CHECK_TIMEOUT_MS);
    const evaluation = await savedEvaluation(wb.workspace);
    assert.equal(await panel.locator("#ece").textContent(), evaluation.calibration.ece.toFixed(3));
    const auc = await panel.locator("#auc").textContent();
    await reloadWindow(wb.page);
    const restored = await webviewFrame(wb.page, "#auc", 90_000);
    assert.equal(await restored.locator("#auc").textContent(), auc, "the same numbers, re-read from evaluation.json");
    assert.equal(await restored.locator("#ece").textContent(), evaluation.calibration.ece.toFixed(3));
    await screenshotTop(wb.page, restored, "check-05-evaluation-restored");

    // "Export with this threshold" is export --max-fpr on this evaluation: export reads it back from evaluation.json.
    const preprocessFile = path.join(wb.workspace, "export", "preprocess.json");
    assert.equal(JSON.parse(await fs.readFile(preprocessFile, "utf8")).decision, undefined, "the demo's export decides by the largest probability");
    await restored.locator("#export-threshold").click();
    const decision = await waitFor("the export's decision read off the evaluation", async () => {
      const recorded = JSON.parse(await fs.readFile(preprocessFile, "utf8")).decision as { method: string; threshold: number; maxFpr: number; evaluation: { name: string } } | undefined;
      return recorded?.method === "max-fpr" ? recorded : undefined;
    }, 120_000);
    assert.ok(evaluation.atMaxFpr);
    assert.equal(decision.threshold, evaluation.atMaxFpr.threshold);
    assert.equal(decision.maxFpr, evaluation.atMaxFpr.maxFpr);
    assert.equal(decision.evaluation.name, path.basename(evaluation.files!.dir));
  });

  it("says when a restored evaluation panel's evaluation.json is gone", async () => {
    const evaluation = await savedEvaluation(wb.workspace);
    await fs.rm(evaluation.files!.dir, { recursive: true });
    await reloadWindow(wb.page);
    const lost = await webviewFrame(wb.page, 'main:has(h1:has-text("Evaluation:")) #lost', 90_000);
    assert.match((await lost.locator("#lost").textContent()) ?? "", /^This evaluation cannot be shown again\. .*evaluation\.json is gone .*Run Evaluate on Folder again/);
    assert.equal(await lost.locator("#auc").count(), 0, "no stale numbers");
    await screenshot(wb.page, "check-06-evaluation-gone");
  });
});

/** The one evaluation Evaluate on Folder wrote (<workspace>/evaluation/<time>/evaluation.json). */
async function savedEvaluation(workspace: string): Promise<Evaluation> {
  const root = path.join(workspace, "evaluation");
  const names = (await fs.readdir(root)).filter((name) => !name.startsWith("."));
  assert.equal(names.length, 1, `evaluation folders: ${names.join(", ")}`);
  return JSON.parse(await fs.readFile(path.join(root, names[0], "evaluation.json"), "utf8")) as Evaluation;
}

/** The one report.json the check wrote into the extension's storage (check-reports/<name>/report.json). */
async function savedReport(userData: string): Promise<{ file: string; check: MediaCheck }> {
  const entries = await fs.readdir(userData, { recursive: true, withFileTypes: true });
  const reports = entries
    .filter((entry) => entry.isFile() && entry.name === "report.json" && path.basename(path.dirname(entry.parentPath)) === "check-reports")
    .map((entry) => path.join(entry.parentPath, entry.name));
  assert.equal(reports.length, 1, `report.json files: ${reports.join(", ")}`);
  return { file: reports[0], check: JSON.parse(await fs.readFile(reports[0], "utf8")) as MediaCheck };
}

/** The verdict in its careful wording with the validation error, one timeline bar per second, loaded thumbnails and video. */
async function assertPanelShows(panel: Frame, check: MediaCheck, seconds: number): Promise<void> {
  const headline = (await panel.locator("#verdict").textContent()) ?? "";
  const text = (await panel.locator("#verdict-text").textContent()) ?? "";
  assert.equal(headline, check.verdict.headline);
  assert.equal(text, check.verdict.text);
  assert.match(headline, /by this model's standards/);
  assert.match(text, /misclassifies \d+(\.\d)?% of its \d+ validation images/);
  assert.equal(await panel.locator(".timeline .bar").count(), seconds, `one bar per second of the ${seconds} s clip`);
  assert.equal(check.summary.perSecond.length, seconds);
  const withImages = check.summary.worst.filter((moment) => moment.image);
  assert.ok(withImages.length > 0, "the report has worst frames");
  const thumbnails = panel.locator("#worst button.moment img");
  assert.equal(await thumbnails.count(), withImages.length);
  // Loaded, not just present: the report folder is a local resource root and the CSP allows it.
  await waitFor("worst-frame thumbnails loaded", () => thumbnails.evaluateAll((images) => images.every((image) => (image as HTMLImageElement).complete && (image as HTMLImageElement).naturalWidth > 0)), 15_000);
  await waitFor("video metadata loaded", () => panel.evaluate(() => ((document.getElementById("player") as HTMLVideoElement | null)?.readyState ?? 0) >= 1), 20_000);
  const duration = await panel.evaluate(() => (document.getElementById("player") as HTMLVideoElement).duration);
  assert.ok(Math.abs(duration - seconds) < 0.5, `video duration ${duration} s`);
}

/** Clicks each worst-frame thumbnail away from the current position and waits for the video to be at its moment. */
async function seekThroughWorstFrames(panel: Frame, check: MediaCheck): Promise<number> {
  const times = check.summary.worst.filter((moment) => moment.image).map((moment) => moment.time);
  const position = () => panel.evaluate(() => (document.getElementById("player") as HTMLVideoElement).currentTime);
  let seeks = 0;
  for (const [index, time] of times.entries()) {
    if (Math.abs((await position()) - time) < 0.25) continue;
    await panel.locator("#worst button.moment").nth(index).click();
    await waitFor(`video at ${time} s after clicking worst frame ${index + 1}`, async () => Math.abs((await position()) - time) < 0.05, 10_000);
    seeks++;
  }
  return seeks;
}

/** A screenshot with the panel scrolled to its verdict (seeking scrolls the video into view). */
async function screenshotTop(page: Page, panel: Frame, name: string): Promise<void> {
  await panel.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name);
}

/** Editor tabs of check panels for the clip. */
function checkTabs(page: Page): Promise<number> {
  return page.locator(".tabs-container .tab", { hasText: `Check: ${CLIP}` }).count();
}

/** How many webview frames contain `selector`. */
async function framesWith(page: Page, selector: string): Promise<number> {
  let count = 0;
  for (const frame of page.frames()) if (await frame.locator(selector).count().catch(() => 0)) count++;
  return count;
}

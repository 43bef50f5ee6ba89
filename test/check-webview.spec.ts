/**
 * The "Check for Deepfake" panel's webview bundle (out/dist/webview/check.js) in headless Chromium, under the
 * panel's CSP, with a stub acquireVsCodeApi: it renders the verdict, the per-second timeline with the smoothed line
 * and the flagged segments, the worst frames, seeks the <video> when a thumbnail, a second or a flagged segment is
 * clicked, still renders a view saved before checks were smoothed, posts only protocol messages, and ignores malformed
 * ones; it saves the paths it is given as webview state (for a restore after a reload) and shows a restored check
 * whose report is gone with "Check again". Plus the protocol guards both sides use. Skipped where Debian's chromium
 * is missing (CI installs it).
 */
import { strict as assert } from "node:assert";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import type { MediaCheck } from "../src/core/check/check-types";
import { checkViewOf } from "../src/extension/webviews/check-view";
import { isCheckView, parseCheckFromWebview, parseCheckPanelState, parseCheckToWebview, type CheckPanelState, type CheckView } from "../src/shared/check-protocol";
import { ffmpeg, hasFfmpeg } from "./fixtures/make-clip";
import { makeTempDir, removeDir } from "./support/temp-dir";
import { requireSystem } from "./support/require-system";
import { CHROMIUM, openWebviewBundle, assertSharedPanelStyle } from "./support/webview-harness";


/** A view as the extension sends it, with file URLs standing in for webview URIs. */
function viewFor(dir: string, video: string): CheckView {
  const url = (name: string) => pathToFileURL(path.join(dir, name)).toString();
  return {
    fileName: "call <1>.webm",
    kind: "video",
    mediaSrc: pathToFileURL(video).toString(),
    verdict: { level: "likely-manipulated", headline: "Likely manipulated by this model's standards", text: "Likely manipulated by this model's standards: 5 of 8 face(s) (63%) score at least 50% \"Deepfake\". The model misclassifies 25% of its 52 validation images (export/metrics.json), so treat this as a reason to verify through another channel, not as proof." },
    fakeLabel: "Deepfake",
    threshold: 0.5,
    fps: 2,
    durationSeconds: 6,
    counts: { frames: 12, framesWithFaces: 10, framesWithoutFaces: 2, faces: 10, facesAboveThreshold: 5 },
    perSecond: [0.1, 0.2, null, 0.7, 0.9, 0.8].map((probability, second) => ({ second, probability })),
    // Second 2 has no face: the line breaks there. Second 1 is flagged on the smoothed line, not on its bar.
    smoothedPerSecond: [0.1, 0.55, null, 0.7, 0.8, 0.8].map((probability, second) => ({ second, probability })),
    smoothingWindowSeconds: 3,
    flaggedSegments: [{ start: 1, end: 1.5, meanProbability: 0.55, maxProbability: 0.55 }, { start: 3, end: 5.5, meanProbability: 0.77, maxProbability: 0.8 }],
    worst: [{ time: 4, probability: 0.9, src: url("worst-1.jpg") }, { time: 3.5, probability: 0.7, src: url("worst-2.jpg") }],
    noFaceRanges: [{ start: 2, end: 2.5, frames: 2 }],
    warnings: ["2 of 12 sampled frames had no face (0:02.0–0:02.5); they were not scored."],
  };
}

describe("check panel webview", function () {
  this.timeout(120_000);
  let tmp: string;
  let browser: Browser | undefined;
  let page: Page;
  let view: CheckView;
  /** Content Security Policy violations reported on the page's console. */
  const violations: string[] = [];

  before(async function () {
    requireSystem(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`, "chromium");
    tmp = await makeTempDir("dds-check-webview-");
    const frame = await sharp({ create: { width: 320, height: 240, channels: 3, background: "#336699" } }).jpeg().toBuffer();
    for (const name of ["worst-1.jpg", "worst-2.jpg"]) await fs.writeFile(path.join(tmp, name), frame);
    const video = path.join(tmp, "call.webm");
    if (await hasFfmpeg()) await ffmpeg(["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=6", "-c:v", "libvpx", "-b:v", "500k", video]);
    view = viewFor(tmp, video);
    // The panel's policy (check-panel.ts) allows media: it plays the checked video.
    ({ browser, page } = await openWebviewBundle({ dir: tmp, bundle: "check.js", style: "check.css", allowMedia: true, violations }));
    assert.deepEqual(violations, [], "no CSP violation while loading");
  });

  after(async () => {
    await browser?.close();
    if (tmp) await removeDir(tmp);
  });

  it("asks for its view once loaded, then renders the verdict, counts, timeline and worst frames", async () => {
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted), [{ type: "check/ready" }]);
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view });
    await page.waitForSelector("#verdict");
    assert.equal(await page.textContent("h1"), "call <1>.webm", "file names are text, never HTML");
    assert.equal(await page.textContent("#verdict"), "Likely manipulated by this model's standards");
    assert.match((await page.textContent("#verdict-text")) ?? "", /misclassifies 25% of its 52 validation images/);
    assert.match((await page.textContent("#counts")) ?? "", /12 frames sampled at 2 fps; 10 face\(s\) in 10 frame\(s\), 5 at or above 50% "Deepfake" \(50\.0%\); 2 frame\(s\) without a face/);
    assert.equal(await page.locator(".timeline .bar").count(), 6);
    assert.equal(await page.locator(".timeline .bar.flagged").count(), 3);
    assert.equal(await page.locator(".timeline .bar.no-face").count(), 1);
    assert.equal(await page.locator("#worst button.moment").count(), 2);
    assert.match((await page.textContent("#no-face")) ?? "", /0:02\.0–0:02\.5 \(2 frames\)/);
    assert.match((await page.textContent(".warnings")) ?? "", /had no face/);
  });

  it("links the shared panel.css before check.css and takes body, header and caption styles from it alone", async () => {
    await assertSharedPanelStyle(page, "check.css");
  });

  it("seeks the video to a worst frame's moment and to a clicked second", async function () {
    requireSystem(await hasFfmpeg(), "ffmpeg", "ffmpeg");
    await page.waitForFunction(() => ((document.getElementById("player") as HTMLVideoElement | null)?.readyState ?? 0) >= 1, undefined, { timeout: 20_000 });
    await page.locator("#worst button.moment").nth(1).click();
    await page.waitForFunction(() => Math.abs((document.getElementById("player") as HTMLVideoElement).currentTime - 3.5) < 0.05);
    await page.locator("#worst button.moment").nth(0).focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => Math.abs((document.getElementById("player") as HTMLVideoElement).currentTime - 4) < 0.05);
    await page.locator(".timeline .bar").nth(1).dispatchEvent("click");
    await page.waitForFunction(() => Math.abs((document.getElementById("player") as HTMLVideoElement).currentTime - 1) < 0.05);
  });

  it("draws the smoothed line over the bars, broken at the second without a face, and a shaded band per flagged segment", async () => {
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view });
    await page.waitForSelector(".timeline .smoothed-line");
    const bars = await page.$$eval(".timeline .bar", (rects) => rects.map((rect) => ({ x: Number(rect.getAttribute("x")), width: Number(rect.getAttribute("width")) })));
    const runs = await page.$$eval(".timeline polyline.smoothed-line", (lines) => lines.map((line) => (line.getAttribute("points") ?? "").split(" ").map((point) => Number(point.split(",")[0]))));
    assert.equal(runs.length, 2, "one line before the gap, one after: never joined across it");
    assert.deepEqual(runs.map((run) => run.length), [2, 3], "seconds 0–1, then 3–5");
    const [gapStart, gapEnd] = [bars[2].x, bars[2].x + bars[2].width];
    for (const x of runs.flat()) assert.ok(x < gapStart || x > gapEnd, `no point of the line in the no-face second (x ${x})`);
    assert.ok(runs[0][1] < gapStart && runs[1][0] > gapEnd, "the runs end and start on either side of the gap");
    assert.equal(await page.locator(".timeline .smoothed-dot").count(), 0);

    const bands = await page.$$eval(".timeline .segment-band", (rects) => rects.map((rect) => ({ x: Number(rect.getAttribute("x")), width: Number(rect.getAttribute("width")) })));
    assert.equal(bands.length, 2, "one band per flagged segment");
    assert.equal(await page.locator(".timeline .segment-strip").count(), 2);
    // The second segment runs from 0:03.0 to its last frame at 0:05.5 plus that frame (0.5 s at 2 fps): bars 3–5.
    assert.ok(Math.abs(bands[1].x - (bars[3].x - 0.5)) < 0.2, `band starts at second 3 (${bands[1].x} vs ${bars[3].x})`);
    assert.ok(Math.abs(bands[1].x + bands[1].width - (bars[5].x + bars[5].width + 0.5)) < 0.2, "band ends with second 5");
    assert.ok(bands[0].x + bands[0].width < bars[2].x, "the first segment stays in second 1");
    assert.match((await page.textContent("#timeline-legend")) ?? "", /line: median over 3 s/);
    assert.match((await page.getAttribute(".timeline", "aria-label")) ?? "", /median over 3 s as a line, 2 flagged segment\(s\) shaded/);
    assert.deepEqual(violations, [], "no CSP violation while drawing");
  });

  it("lists the flagged segments as buttons that seek the video to each one's start", async function () {
    const entries = page.locator("#segments button.segment");
    assert.equal(await entries.count(), 2);
    assert.deepEqual(await entries.allTextContents(), ["0:01.0–0:01.5, mean 55.0%", "0:03.0–0:05.5, mean 77.0%"]);
    assert.equal(await entries.nth(1).getAttribute("aria-label"), "0:03.0–0:05.5, mean 77.0%, highest 80.0%: go to its start");
    requireSystem(await hasFfmpeg(), "ffmpeg", "ffmpeg");
    await page.waitForFunction(() => ((document.getElementById("player") as HTMLVideoElement | null)?.readyState ?? 0) >= 1, undefined, { timeout: 20_000 });
    await page.evaluate(() => { (document.getElementById("player") as HTMLVideoElement).currentTime = 0; });
    await entries.nth(1).click();
    await page.waitForFunction(() => Math.abs((document.getElementById("player") as HTMLVideoElement).currentTime - 3) < 0.05);
    await entries.nth(0).focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => Math.abs((document.getElementById("player") as HTMLVideoElement).currentTime - 1) < 0.05);
    await page.locator(".timeline .segment-strip").nth(1).dispatchEvent("click");
    await page.waitForFunction(() => Math.abs((document.getElementById("player") as HTMLVideoElement).currentTime - 3) < 0.05);
  });

  it("still renders a view saved before checks were smoothed (no line, bands or segment list)", async () => {
    const { smoothedPerSecond, smoothingWindowSeconds, flaggedSegments, ...old } = view;
    void [smoothedPerSecond, smoothingWindowSeconds, flaggedSegments];
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view: { ...old, fileName: "old.webm" } });
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "old.webm");
    assert.equal(await page.locator(".timeline .bar").count(), 6);
    assert.equal(await page.locator("#worst button.moment").count(), 2);
    assert.equal(await page.locator(".timeline .smoothed-line, .timeline .smoothed-dot, .timeline .segment-band, #segments").count(), 0);
    assert.doesNotMatch((await page.textContent("figcaption")) ?? "", /line:|flagged segments/);
    // A lone smoothed second is a dot; a view with segments but none flagged says so.
    const lone = { ...view, fileName: "lone.webm", smoothedPerSecond: [0.1, null, 0.3, null, null, null].map((probability, second) => ({ second, probability })), smoothingWindowSeconds: 0, flaggedSegments: [] };
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view: lone });
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "lone.webm");
    assert.equal(await page.locator(".timeline .smoothed-dot").count(), 2);
    assert.equal(await page.locator(".timeline .smoothed-line, .timeline .segment-band").count(), 0);
    assert.match((await page.textContent("#timeline-legend")) ?? "", /line: signal \(not smoothed\)/);
    assert.match((await page.textContent("#segments")) ?? "", /^None: /);
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view });
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "call <1>.webm");
  });

  it("keeps each worst moment's label inside its thumbnail at any panel width and font size, and marks a moment below the threshold", async () => {
    // VS Code's own webview stylesheet (img and video at most 100% wide), which every panel gets before ours.
    const defaults = path.join(tmp, "vscode-defaults.css");
    await fs.writeFile(defaults, "body { padding: 0 20px; } img, video { max-width: 100%; max-height: 100%; }\n");
    await page.evaluate((href) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.id = "vscode-defaults";
      link.href = href;
      document.head.prepend(link);
    }, pathToFileURL(defaults).toString());
    const worst = [
      { ...view.worst[0], time: 3723.5 },
      { ...view.worst[1], time: 1, probability: 0.3 },
      { ...view.worst[1], time: 2, probability: 0.45, belowThreshold: true },
    ];
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view: { ...view, fileName: "moments.webm", worst } });
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "moments.webm");
    assert.deepEqual(await page.$$eval("#worst .caption", (captions) => captions.map((caption) => caption.textContent)), ["1. 62:03.5 · 90.0%", "2. 0:01.0 · 30.0% below threshold", "3. 0:02.0 · 45.0% below threshold"]);
    assert.equal(await page.locator("#worst button.moment.below-threshold").count(), 2);
    try {
      for (const fontSize of ["13px", "20px"]) {
        for (const width of [1000, 320, 150]) {
          await page.setViewportSize({ width, height: 900 });
          await page.evaluate((size) => { document.body.style.fontSize = size; }, fontSize);
          const boxes = await page.$$eval("#worst button.moment", (buttons) => buttons.map((button) => {
            const box = (element: Element) => { const r = element.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
            return { button: box(button), image: box(button.querySelector("img")!), caption: box(button.querySelector(".caption")!), list: box(button.parentElement!), overflow: button.scrollWidth - button.clientWidth };
          }));
          for (const [rank, { button, image, caption, list, overflow }] of boxes.entries()) {
            const where = `moment ${rank + 1} at ${width} px, font ${fontSize}`;
            assert.ok(caption.left >= image.left - 0.5 && caption.right <= image.right + 0.5, `${where}: label ${caption.left}–${caption.right} runs past its thumbnail ${image.left}–${image.right}`);
            assert.ok(caption.bottom <= button.bottom + 0.5 && caption.top >= image.bottom - 0.5, `${where}: label below its thumbnail, inside the button`);
            assert.ok(overflow <= 0, `${where}: the button's content is ${overflow} px wider than the button`);
            assert.ok(button.left >= list.left - 0.5 && button.right <= list.right + 0.5, `${where}: the thumbnail stays inside the panel`);
          }
        }
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.evaluate(() => { document.body.style.fontSize = ""; document.getElementById("vscode-defaults")?.remove(); });
      await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view });
      await page.waitForFunction(() => document.querySelector("h1")?.textContent === "call <1>.webm");
    }
  });

  it("posts the report actions and ignores malformed messages", async () => {
    await page.click("#open-report");
    await page.click("#reveal-report");
    const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.slice(1));
    assert.deepEqual(posted, [{ type: "check/openReport" }, { type: "check/revealReport" }]);
    await page.evaluate(() => window.postMessage({ type: "check/view", view: { fileName: "<img src=x onerror=alert(1)>", kind: "video" } }, "*"));
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    assert.equal(await page.textContent("h1"), "call <1>.webm", "a malformed view is ignored");
  });

  it("saves the paths that come with a view as its state, and only those", async () => {
    const state: CheckPanelState = { file: "/work/call <1>.webm", reportJson: "/storage/check-reports/call-1-.webm/report.json" };
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view, state });
    await waitForState(page, state);
    assert.equal(await page.textContent("#verdict"), "Likely manipulated by this model's standards", "still the view");
    // A message whose state is malformed is dropped whole: neither rendered nor saved.
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view: { ...view, fileName: "other.webm" }, state: { file: "/x.webm", reportJson: 7 } });
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    assert.equal(await page.textContent("h1"), "call <1>.webm");
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __state: unknown }).__state), state);
  });

  it("shows a restored check whose report is gone: the reason, Check again only while the file exists", async () => {
    const state: CheckPanelState = { file: "/work/gone.webm", reportJson: "/storage/check-reports/gone.webm/report.json" };
    const reason = "This check cannot be shown again. Its saved report is gone. Check the file again to see a fresh report.";
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/lost", lost: { fileName: "gone.webm", reason, canCheckAgain: true }, state });
    await page.waitForSelector("#lost");
    assert.equal(await page.textContent("h1"), "gone.webm");
    assert.equal(await page.textContent("#lost"), reason);
    assert.equal(await page.locator("#verdict, #player, .timeline, #worst").count(), 0, "nothing of the previous view is left");
    await waitForState(page, state);
    const before = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.length);
    await page.click("#check-again");
    assert.deepEqual(await page.evaluate((from) => (window as unknown as { __posted: unknown[] }).__posted.slice(from), before), [{ type: "check/checkAgain" }]);

    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/lost", lost: { fileName: "gone.webm", reason: "The checked file is gone too.", canCheckAgain: false }, state });
    await page.waitForFunction(() => document.getElementById("lost")?.textContent === "The checked file is gone too.");
    assert.equal(await page.locator("#check-again").count(), 0, "nothing to check again without the file");

    // The view comes back when the extension sends one (after Check again).
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "check/view", view });
    await page.waitForSelector("#verdict");
    assert.equal(await page.locator("#lost").count(), 0);
  });

  it("protocol guards accept what each side sends and nothing else", () => {
    const sample = viewFor("/tmp", "/tmp/call.webm");
    assert.deepEqual(parseCheckToWebview({ type: "check/view", view: sample }), { type: "check/view", view: sample });
    assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, threshold: 2 } }), undefined);
    assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, perSecond: [{ second: 0, probability: "high" }] } }), undefined);
    assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, verdict: { ...sample.verdict, level: "fake" } } }), undefined);
    assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, worst: Array.from({ length: 51 }, () => sample.worst[0]) } }), undefined);
    const segment = sample.flaggedSegments![0];
    const badSegments: unknown[] = [
      "0:01–0:02",
      [null],
      [{ ...segment, start: "1" }],
      [{ ...segment, end: 0.5 }],
      [{ ...segment, start: -1 }],
      [{ ...segment, meanProbability: 1.5 }],
      [{ ...segment, maxProbability: null }],
      [{ start: 1, end: 2 }],
      [{ ...segment, end: Number.POSITIVE_INFINITY }],
      Array.from({ length: 86_401 }, () => segment),
    ];
    for (const flaggedSegments of badSegments) assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, flaggedSegments } }), undefined, JSON.stringify(flaggedSegments)?.slice(0, 80));
    assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, smoothedPerSecond: [{ second: 0, probability: 2 }] } }), undefined);
    assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, smoothedPerSecond: "smooth" } }), undefined);
    for (const window of [-1, "3", null, Number.NaN, 100_000]) assert.equal(parseCheckToWebview({ type: "check/view", view: { ...sample, smoothingWindowSeconds: window } }), undefined, String(window));
    const { smoothedPerSecond, smoothingWindowSeconds, flaggedSegments, ...old } = sample;
    void [smoothedPerSecond, smoothingWindowSeconds, flaggedSegments];
    assert.deepEqual(parseCheckToWebview({ type: "check/view", view: old }), { type: "check/view", view: old }, "a view from before smoothing is not damaged");
    assert.deepEqual(parseCheckFromWebview({ type: "check/ready" }), { type: "check/ready" });
    assert.deepEqual(parseCheckFromWebview({ type: "check/openReport" }), { type: "check/openReport" });
    assert.equal(parseCheckFromWebview({ type: "check/openReport", path: "/etc/passwd" }), undefined);
    assert.equal(parseCheckFromWebview({ type: "check/run" }), undefined);
    assert.equal(parseCheckFromWebview("check/ready"), undefined);
    assert.deepEqual(parseCheckFromWebview({ type: "check/checkAgain" }), { type: "check/checkAgain" });
    assert.equal(parseCheckFromWebview({ type: "check/checkAgain", file: "/etc/passwd" }), undefined, "the panel never names the file to check");

    const state = { file: "/work/call.webm", reportJson: "/storage/check-reports/call.webm/report.json" };
    assert.deepEqual(parseCheckToWebview({ type: "check/view", view: sample, state }), { type: "check/view", view: sample, state });
    assert.equal(parseCheckToWebview({ type: "check/view", view: sample, state: { file: "/work/call.webm" } }), undefined);
    const lost = { fileName: "call.webm", reason: "Its saved report is gone.", canCheckAgain: true };
    assert.deepEqual(parseCheckToWebview({ type: "check/lost", lost, state }), { type: "check/lost", lost, state });
    assert.equal(parseCheckToWebview({ type: "check/lost", lost: { ...lost, canCheckAgain: "yes" } }), undefined);
    assert.equal(parseCheckToWebview({ type: "check/lost" }), undefined);
  });

  it("checkViewOf carries the smoothing and the flagged segments, and leaves them out for a report saved before them", () => {
    const summary = {
      frames: 4, framesWithFaces: 4, framesWithoutFaces: 0, faces: 4, facesAboveThreshold: 2, noFaceRanges: [],
      perSecond: [{ second: 0, probability: 0.2 }, { second: 1, probability: 0.9 }],
      worst: [{ time: 1.5, frameIndex: 3, faceIndex: 0, probability: 0.9, box: { x: 0, y: 0, width: 10, height: 10 }, image: "/r/worst-1.jpg" }],
    };
    const old = {
      file: "/work/call.webm", kind: "video", video: { sampledFps: 2, durationSeconds: 2 }, model: { fakeLabel: "Deepfake" }, threshold: 0.5, summary,
      verdict: { level: "likely-manipulated", headline: "Likely manipulated by this model's standards", text: "…" }, warnings: [],
    } as unknown as MediaCheck;
    const oldView = checkViewOf(old, (file) => `uri:${file}`);
    assert.ok(isCheckView(oldView));
    assert.deepEqual([oldView.smoothedPerSecond, oldView.smoothingWindowSeconds, oldView.flaggedSegments], [undefined, undefined, undefined]);
    assert.ok(!("flaggedSegments" in oldView), "absent, not undefined, so it survives postMessage the same");

    const smoothed = {
      ...summary,
      smoothing: { method: "median", windowSeconds: 3, maxGapSeconds: 1.5 },
      smoothedFrames: [{ time: 0, probability: 0.2 }, { time: 0.5, probability: 0.2 }, { time: 1, probability: 0.6 }, { time: 1.5, probability: 0.8 }],
      smoothedPerSecond: [{ second: 0, probability: 0.2 }, { second: 1, probability: 0.8 }],
      flaggedSegments: [{ start: 1, end: 1.5, frames: 2, maxProbability: 0.8, meanProbability: 0.7 }],
    };
    const view = checkViewOf({ ...old, summary: smoothed } as unknown as MediaCheck, (file) => `uri:${file}`);
    assert.ok(isCheckView(view));
    assert.deepEqual(view.smoothedPerSecond, smoothed.smoothedPerSecond);
    assert.equal(view.smoothingWindowSeconds, 3);
    assert.deepEqual(view.flaggedSegments, [{ start: 1, end: 1.5, meanProbability: 0.7, maxProbability: 0.8 }]);
  });

  it("accepts a saved panel state with exactly two paths and nothing else", () => {
    const state = { file: "/work/call.webm", reportJson: "/storage/check-reports/call.webm/report.json" };
    assert.deepEqual(parseCheckPanelState(state), state);
    assert.deepEqual(parseCheckPanelState(JSON.parse(JSON.stringify(state))), state, "survives VS Code's JSON round trip");
    const bad: unknown[] = [
      undefined,
      null,
      "state",
      [state.file, state.reportJson],
      { file: state.file },
      { ...state, extra: true },
      { ...state, file: "" },
      { ...state, reportJson: 7 },
      { ...state, file: "/work/a\0b.webm" },
      { ...state, reportJson: `/${"a".repeat(5000)}` },
    ];
    for (const value of bad) assert.equal(parseCheckPanelState(value), undefined, JSON.stringify(value)?.slice(0, 80));
  });
});

/** Waits until the webview has saved `state` (vscode.setState). */
async function waitForState(page: Page, state: CheckPanelState): Promise<void> {
  await page.waitForFunction((expected) => JSON.stringify((window as unknown as { __state: unknown }).__state) === JSON.stringify(expected), state, { timeout: 5_000 });
}

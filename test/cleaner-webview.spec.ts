/**
 * The Cleaner's "Where it looked" toggle, in its webview bundle (out/dist/webview/cleaner.js) in headless Chromium with
 * a stub acquireVsCodeApi: turning it on asks the extension for the run's maps once, each thumbnail then carries its
 * map drawn by the studio's own drawing code (pixel for pixel what Node draws from the same numbers), a card whose
 * map lies mostly outside the face is marked in words, and turning it off removes both. Plus the protocol guard and
 * the words the extension sends with the maps (describeRunMaps). Skipped where Debian's chromium is missing.
 */
import { strict as assert } from "node:assert";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { drawCamOverlay } from "../src/core/cam/draw-overlay";
import { STUDIO_CROP_FACE_BOX } from "../src/core/cam/map-mass";
import { resizeBilinear } from "../src/core/cam/resize-map";
import { describeRunMaps, type RunMaps } from "../src/core/clean/run-maps";
import { parseCleanerToWebview, type CleanerMaps, type CleanerState } from "../src/shared/protocol";
import { makeTempDir, removeDir } from "./support/temp-dir";
import { requireSystem } from "./support/require-system";
import { CHROMIUM, openWebviewBundle } from "./support/webview-harness";

const FAKE = "Deepfake";
const SIDE = 112;

/** A 4 x 4 map hot in one cell (row-major). */
function hotAt(cell: number): number[] {
  return Array.from({ length: 16 }, (_, i) => (i === cell ? 3 : i % 3 === 0 ? 0.2 : -0.1));
}

describe("cleaner webview: where it looked", function () {
  this.timeout(120_000);
  let tmp: string;
  let browser: Browser | undefined;
  let page: Page;
  const violations: string[] = [];
  let state: CleanerState;
  let maps: CleanerMaps;

  before(async function () {
    requireSystem(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`, "chromium");
    tmp = await makeTempDir("dds-cleaner-webview-");
    const picture = await sharp({ create: { width: 200, height: 150, channels: 3, background: "#557799" } }).jpeg().toBuffer();
    for (const name of ["corner.jpg", "face.jpg"]) await fs.writeFile(path.join(tmp, name), picture);
    const item = (name: string, loss: number) => ({ file: `${FAKE}/${name}`, src: pathToFileURL(path.join(tmp, name)).toString(), split: "train" as const, label: FAKE, predicted: FAKE, confidence: 0.9, loss });
    state = { runId: "2026-12-04T08-00-00Z", labels: [FAKE, "Real"], items: [item("corner.jpg", 2), item("face.jpg", 1)], canUndo: false, readOnly: false };
    // Cell 0 is the top-left corner (outside the face box); cell 9 is inside it.
    maps = {
      runId: state.runId!,
      height: 4,
      width: 4,
      face: STUDIO_CROP_FACE_BOX,
      items: [{ file: `${FAKE}/corner.jpg`, map: hotAt(0), faceShare: 0.2, elsewhere: true }, { file: `${FAKE}/face.jpg`, map: hotAt(9), faceShare: 0.8, elsewhere: false }],
      note: "Warm colours mark where the model found its evidence for the label it predicted. 1 of 2 picture(s) are marked “looks off the face”.",
    };
    ({ browser, page } = await openWebviewBundle({ dir: tmp, bundle: "cleaner.js", style: "cleaner.css", violations }));
  });

  after(async () => {
    await browser?.close();
    if (tmp) await removeDir(tmp);
  });

  const posted = () => page.evaluate(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.map((message) => message.type));

  it("asks for the maps once when turned on, draws each thumbnail's map as Node does and marks the card that looks off the face", async () => {
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "cleaner/state", state });
    await page.waitForSelector(".tile");
    assert.equal(await page.locator("canvas.cam-map").count(), 0, "no map before the toggle");
    await page.locator("#cam-toggle").click();
    await page.waitForSelector("#cam-note");
    assert.deepEqual(await posted(), ["cleaner/ready", "cleaner/maps"]);
    assert.equal(await page.textContent("#cam-note"), "Drawing where the model looked…");
    await page.evaluate((message) => window.postMessage(message, "*"), { type: "cleaner/maps", maps });
    await page.waitForSelector("canvas.cam-map");
    assert.equal(await page.locator("canvas.cam-map").count(), 2);
    assert.equal(await page.textContent("#cam-note"), maps.note);

    const corner = page.locator(`.tile[data-file="${FAKE}/corner.jpg"]`);
    const face = page.locator(`.tile[data-file="${FAKE}/face.jpg"]`);
    assert.match((await corner.getAttribute("class")) ?? "", /looks-elsewhere/);
    assert.equal(await corner.locator(".elsewhere-mark").textContent(), "Looks off the face");
    assert.match((await corner.getAttribute("aria-label")) ?? "", /looked mostly off the face/);
    assert.doesNotMatch((await face.getAttribute("class")) ?? "", /looks-elsewhere/);
    assert.equal(await face.locator(".elsewhere-mark").count(), 0);

    for (const [index, item] of maps.items.entries()) {
      const drawn = await page.locator(`.tile[data-file="${item.file}"] canvas.cam-map`).evaluate((canvas) => Array.from((canvas as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 112, 112).data));
      const expected = drawCamOverlay({ map: resizeBilinear(item.map, maps.height, maps.width, SIDE, SIDE), height: SIDE, width: SIDE, face: maps.face });
      // Canvases keep alpha exactly; colour under low alpha is rounded by premultiplication, so alpha is compared.
      let worst = 0;
      for (let i = 3; i < expected.length; i += 4) worst = Math.max(worst, Math.abs(drawn[i] - expected[i]));
      assert.equal(worst, 0, `${item.file}: alpha differs by ${worst}`);
      // The hot cell is where the map is drawn hottest: top-left for the first, inside the face for the second.
      const alphaAt = (x: number, y: number) => drawn[(y * SIDE + x) * 4 + 3];
      const [hot, cold] = index === 0 ? [alphaAt(14, 14), alphaAt(56, 70)] : [alphaAt(42, 70), alphaAt(14, 14)];
      assert.ok(hot > cold + 50, `${item.file}: hot ${hot}, cold ${cold}`);
    }

    // A choice re-renders the grid: the maps stay, and nothing is asked again.
    await corner.focus();
    await page.keyboard.press("d");
    await page.waitForSelector(`.tile[data-file="${FAKE}/corner.jpg"].choice-delete canvas.cam-map`);
    assert.deepEqual(await posted(), ["cleaner/ready", "cleaner/maps"]);

    await page.locator("#cam-toggle").click();
    await page.waitForFunction(() => document.querySelectorAll("canvas.cam-map").length === 0);
    assert.equal(await page.locator(".elsewhere-mark").count(), 0);
    assert.equal(await page.locator("#cam-note").count(), 0);
    assert.deepEqual(violations, []);
  });

  it("the protocol refuses maps whose size does not match their grid", () => {
    assert.ok(parseCleanerToWebview({ type: "cleaner/maps", maps }));
    assert.equal(parseCleanerToWebview({ type: "cleaner/maps", maps: { ...maps, items: [{ file: "a.jpg", map: [1, 2, 3] }] } }), undefined);
    assert.equal(parseCleanerToWebview({ type: "cleaner/maps", maps: { ...maps, height: 1000, width: 1000 } }), undefined);
  });

  it("says in words what the overlay shows, or why there is none", () => {
    const base = { available: true as const, runId: "r", height: 4, width: 4, unreadable: [] };
    const withFaces: RunMaps = { ...base, face: STUDIO_CROP_FACE_BOX, items: [{ file: "a", map: [], faceShare: 0.2, elsewhere: true }, { file: "b", map: [], faceShare: 0.9, elsewhere: false }] };
    assert.match(describeRunMaps(withFaces), /1 of 2 picture\(s\) are marked “looks off the face”/);
    assert.match(describeRunMaps({ ...base, items: [{ file: "a", map: [] }], unreadable: ["gone.jpg"] }), /not known .* no card is marked\. 1 picture\(s\) could not be read/);
    assert.match(describeRunMaps({ available: false, runId: "r", reason: "Where it looked is not available for this model: x" }), /not available for this model/);
  });
});

/**
 * The extension in a real VS Code (code-server + chromium), against the local fakes: DuckDuckGo and an image host
 * behind HTTP(S)_PROXY, a Hugging Face hub via HF_ENDPOINT, the offline backbone via DEEPFAKE_STUDIO_BACKBONE.
 * One workspace goes through the lesson: New Project → Gather → Train → Cleaner (delete + relabel, apply, undo)
 * → Set token → Export → Create Space → Deploy. Screenshots land in test-artifacts/e2e/.
 * The extension under test is the .vsix packaged from this build (DEEPFAKE_STUDIO_E2E_UNPACKED=1: the repo itself).
 */
import { strict as assert } from "node:assert";
import { promises as fs, existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Frame } from "playwright-core";
import { readManifest } from "../../src/core/dataset/manifest";
import type { RunPrediction } from "../../src/core/train/run-files";
import { startFakeDuckDuckGo, type FakeDuckDuckGo } from "../fixtures/fake-duckduckgo";
import { startFakeHub, type FakeHub } from "../fixtures/fake-hub";
import { startImageHost, type ImageHost } from "../fixtures/image-host";
import {
  activityBarItem,
  answerQuickInput,
  prepareE2eSuite,
  ensureCodeServer,
  explorerContextMenu,
  extensionUnderTest,
  fakeWebEnv,
  outputChannelText,
  PACKAGED_VSIX,
  REPO_ROOT,
  runCommand,
  screenshot,
  startWorkbench,
  toast,
  waitFor,
  waitNotification,
  webviewFrame,
  type Workbench,
} from "./harness";

const FAKE = "Deepfake Tom Cruise";
const REAL = "Real Tom Cruise";
const TOKEN = "hf_e2eWriteToken0123456789";
const EPOCHS = 3;
const PER_CATEGORY = 10;

describe("VS Code extension (code-server e2e)", function () {
  this.timeout(180_000);
  let duck: FakeDuckDuckGo;
  let host: ImageHost;
  let hub: FakeHub;
  let wb: Workbench;
  const suiteStarted = Date.now();
  const timings: Record<string, number> = {};
  let failed = false;

  before(async function () {
    this.timeout(900_000);
    await prepareE2eSuite();
    duck = await startFakeDuckDuckGo();
    host = await startImageHost();
    hub = await startFakeHub({ accounts: { [TOKEN]: { user: "alice", orgs: [], role: "write" } } });
    duck.results.set(`${FAKE} photo`, Array.from({ length: PER_CATEGORY }, (_, i) => ({ image: host.photo(i + 1), url: `https://news.example/fake/${i}`, title: `fake ${i}` })));
    duck.results.set("Tom Cruise photo", Array.from({ length: PER_CATEGORY }, (_, i) => ({ image: host.photo(i + 40), url: `https://news.example/real/${i}`, title: `real ${i}` })));
    const env = fakeWebEnv({ proxyUrl: duck.proxyUrl, hubUrl: hub.url });
    // The real artifact by default; DEEPFAKE_STUDIO_E2E_UNPACKED=1 loads the repository as it is (faster edit loop).
    const { vsix, packagedMs } = extensionUnderTest();
    if (packagedMs !== undefined) timings.packageMs = packagedMs;
    wb = await startWorkbench({
      env,
      vsix,
      settings: {
        "deepfakeStudio.maxImages": PER_CATEGORY,
        "deepfakeStudio.train.epochs": EPOCHS,
        "deepfakeStudio.train.validPct": 0.3,
        "deepfakeStudio.space.owner": "alice",
      },
    });
    Object.assign(timings, wb.timings);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") failed = true;
    if (this.currentTest?.state === "failed" && wb) await screenshot(wb.page, `failed-${(this.currentTest.title ?? "test").replace(/\W+/g, "-")}`).catch(() => undefined);
  });

  after(async () => {
    await wb?.stop({ keep: failed });
    await Promise.all([duck?.close(), host?.close(), hub?.close()]);
    timings.suiteMs = Date.now() - suiteStarted;
    console.log(`    e2e timings (ms): ${JSON.stringify(timings)}; screenshots in test-artifacts/e2e/`);
  });

  const project = () => wb.workspace;
  const dataDir = () => path.join(project(), "data");

  it("New Project writes deepfake-studio.json from the settings and activates in under 300 ms", async () => {
    const started = Date.now();
    await runCommand(wb.page, "Deepfake Studio: New Project");
    const file = path.join(project(), "deepfake-studio.json");
    const config = await waitFor("deepfake-studio.json", async () => existsSync(file) && (JSON.parse(await fs.readFile(file, "utf8")) as Record<string, any>));
    timings.newProjectMs = Date.now() - started;
    assert.equal(config.maxImages, PER_CATEGORY);
    assert.equal(config.train.epochs, EPOCHS);
    // deepfakeStudio.faceCrop's default: whole pictures, as in the lesson.
    assert.equal(config.faceCrop, false);
    assert.deepEqual(config.categories.map((c: { label: string }) => c.label), [FAKE, REAL]);
    // A user edit: no politeness pause between the two (fake) searches.
    config.search.delaySeconds = 0;
    await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
    const log = await waitFor("activation line in the output channel", async () => /activated in ([\d.]+) ms/.exec(await outputChannelText(wb.userData)) ?? undefined);
    timings.activationMs = Number(log[1]);
    assert.ok(timings.activationMs < 300, `activation took ${timings.activationMs} ms`);
    await toast(wb.page, "Next: gather images").waitFor({ timeout: 15_000 });
  });

  it("Gather Images shows a progress notification and fills the Dataset view", async () => {
    const started = Date.now();
    await runCommand(wb.page, "Deepfake Studio: Gather Images");
    const progress = toast(wb.page, /Gathering images/);
    await progress.waitFor({ timeout: 15_000 });
    await screenshot(wb.page, "01-gather-progress");
    await toast(wb.page, /Gathered: /).waitFor({ timeout: 90_000 });
    timings.gatherMs = Date.now() - started;
    const manifest = await readManifest(dataDir());
    assert.ok(manifest.filter((r) => r.label === FAKE).length >= PER_CATEGORY - 1, `kept ${manifest.length}`);
    assert.ok(manifest.filter((r) => r.label === REAL).length >= PER_CATEGORY - 1, `kept ${manifest.length}`);
    await activityBarItem(wb.page).click();
    const row = wb.page.locator(".monaco-list-row", { hasText: FAKE }).first();
    await row.waitFor({ timeout: 15_000 });
    await waitFor("image count in the Dataset view", async () => /\d+ images/.test((await row.textContent()) ?? ""));
    await screenshot(wb.page, "02-dataset-view");
  });

  it("Train streams epoch rows into the Training panel, then shows the confusion matrix", async () => {
    const started = Date.now();
    await runCommand(wb.page, "Deepfake Studio: Train");
    await toast(wb.page, /Training/).waitFor({ timeout: 15_000 });
    const panel = await webviewFrame(wb.page, "#run-status", 60_000);
    await panel.locator(".epoch-row").first().waitFor({ timeout: 120_000 });
    await screenshot(wb.page, "03-training-live");
    await panel.locator("#error-rate").waitFor({ timeout: 120_000 });
    timings.trainMs = Date.now() - started;
    assert.equal(await panel.locator(".epoch-row").count(), EPOCHS);
    assert.equal(await panel.locator("#confusion rect.cell").count(), 4);
    assert.equal(await panel.locator("svg.chart polyline.series").count(), 3);
    const log = await outputChannelText(wb.userData);
    for (let epoch = 1; epoch <= EPOCHS; epoch++) assert.match(log, new RegExp(`epoch ${epoch}/${EPOCHS}: train loss`));
    await screenshot(wb.page, "04-training-done");
  });

  it("Cleaner shows the highest-loss image first; delete + relabel survive switching; Apply and Undo change the disk", async () => {
    const runs = (await fs.readdir(path.join(project(), "runs"))).filter((name) => !name.startsWith("."));
    assert.equal(runs.length, 1);
    const predictions = JSON.parse(await fs.readFile(path.join(project(), "runs", runs[0], "predictions.json"), "utf8")) as RunPrediction[];
    const expected = predictions.filter((p) => p.label === FAKE && p.split === "train").sort((a, b) => b.loss - a.loss);
    assert.ok(expected.length >= 2);

    await runCommand(wb.page, "Deepfake Studio: Open Cleaner");
    const cleaner = await webviewFrame(wb.page, "#grid", 30_000);
    const tiles = cleaner.locator(".tile");
    await tiles.first().waitFor();
    const shown = await tiles.evaluateAll((elements) => elements.map((element) => element.getAttribute("data-file")));
    assert.deepEqual(shown, expected.map((p) => p.file), "thumbnails sorted by loss, highest first");
    await screenshot(wb.page, "05-cleaner");

    // Keyboard: the first (highest loss) is deleted, the second relabelled with "2" (the second category).
    const [deleted, relabelled] = expected;
    await tiles.first().click({ position: { x: 20, y: 20 } });
    await wb.page.keyboard.press("d");
    await wb.page.keyboard.press("ArrowRight");
    await wb.page.keyboard.press("2");
    await assertPending(cleaner, 2);
    assert.equal(await cleaner.locator(`.tile[data-file="${deleted.file}"] .badge`).textContent(), "Delete");
    assert.equal(await cleaner.locator(`.tile[data-file="${relabelled.file}"] .badge`).textContent(), `→ ${REAL}`);

    // fastai's widget forgets choices when the category or split changes; this one must not.
    await cleaner.locator('vscode-radio[value="valid"]').click();
    await waitFor("valid split shown", async () => (await cleaner.locator("#grid").getAttribute("aria-label"))?.startsWith(`${FAKE} valid images`));
    await selectCategory(cleaner, REAL);
    await selectCategory(cleaner, FAKE);
    await cleaner.locator('vscode-radio[value="train"]').click();
    await waitFor("train split shown", async () => (await cleaner.locator("#grid").getAttribute("aria-label"))?.startsWith(`${FAKE} train images`));
    await assertPending(cleaner, 2);
    await cleaner.locator(`.tile[data-file="${deleted.file}"].choice-delete`).waitFor();
    await screenshot(wb.page, "06-cleaner-choices");

    await cleaner.locator("#apply").click();
    await cleaner.locator("#status", { hasText: "Deleted 1" }).waitFor({ timeout: 30_000 });
    const name = (file: string) => file.split("/")[1];
    const folder = (label: string) => path.join(dataDir(), label);
    assert.ok(!existsSync(path.join(dataDir(), deleted.file)), "deleted file left its folder");
    assert.ok(!existsSync(path.join(dataDir(), relabelled.file)), "relabelled file left its folder");
    assert.ok(existsSync(path.join(folder(REAL), name(relabelled.file))), "relabelled file is in the other category");
    const trash = await fs.readdir(path.join(dataDir(), ".trash"));
    assert.ok(trash.some((batch) => existsSync(path.join(dataDir(), ".trash", batch, FAKE, name(deleted.file)))), "deleted file is in the trash");
    let manifest = await readManifest(dataDir());
    assert.ok(!manifest.some((r) => r.file === deleted.file), "manifest line of the deleted file removed");
    assert.equal(manifest.find((r) => r.file === `${REAL}/${name(relabelled.file)}`)?.label, REAL, "manifest follows the relabel");
    await screenshot(wb.page, "07-cleaner-applied");

    await cleaner.locator("#undo").click();
    await cleaner.locator("#status", { hasText: "Restored 2" }).waitFor({ timeout: 30_000 });
    assert.ok(existsSync(path.join(dataDir(), deleted.file)) && existsSync(path.join(dataDir(), relabelled.file)), "undo restored both files");
    manifest = await readManifest(dataDir());
    assert.equal(manifest.find((r) => r.file === deleted.file)?.label, FAKE);
    assert.equal(manifest.find((r) => r.file === relabelled.file)?.label, FAKE);
    await cleaner.locator(".tile").first().waitFor();
    assert.equal(await cleaner.locator(".tile").first().getAttribute("data-file"), deleted.file);

    // Where it looked: the run's map over every thumbnail. Whole pictures: the face's place is not known, so none is marked.
    await cleaner.locator("#cam-toggle").check();
    await waitFor("a map on every thumbnail", async () => {
      const [maps, tiles] = [await cleaner.locator("canvas.cam-map").count(), await cleaner.locator(".tile").count()];
      return maps > 0 && maps === tiles;
    }, 180_000);
    assert.match((await cleaner.locator("#cam-note").textContent()) ?? "", /not known .* no card is marked/);
    assert.equal(await cleaner.locator(".elsewhere-mark").count(), 0);
    await screenshot(wb.page, "07b-cleaner-where-it-looked");
    await cleaner.locator("#cam-toggle").uncheck();
    await waitFor("maps hidden", async () => (await cleaner.locator("canvas.cam-map").count()) === 0);
  });

  it("Deploy without a token says so with a Set token button; the token goes to secret storage only", async () => {
    await runCommand(wb.page, "Deepfake Studio: Deploy to Hugging Face");
    const error = toast(wb.page, "No Hugging Face token is set");
    await error.waitFor({ timeout: 15_000 });
    await screenshot(wb.page, "08-deploy-needs-token");
    await error.locator(".monaco-button", { hasText: "Set token" }).click();
    await answerQuickInput(wb.page, TOKEN);
    await toast(wb.page, "token saved").waitFor({ timeout: 15_000 });
  });

  it("Export, Create Space and Deploy to the (fake) hub show the Space URL", async () => {
    let started = Date.now();
    await runCommand(wb.page, "Deepfake Studio: Export Model");
    await toast(wb.page, /Exported run/).waitFor({ timeout: 150_000 });
    timings.exportMs = Date.now() - started;
    assert.ok(existsSync(path.join(project(), "export", "model.onnx")));

    started = Date.now();
    // It first lists the example pictures it would publish; Enter keeps them all.
    await runCommand(wb.page, "Deepfake Studio: Create Space", { input: true });
    await answerQuickInput(wb.page, undefined, { placeholderIncludes: "they will be public" });
    await toast(wb.page, /Space \(static\) written .* with 3 example pictures \(public with the Space\)/).waitFor({ timeout: 60_000 });
    timings.createSpaceMs = Date.now() - started;

    started = Date.now();
    await runCommand(wb.page, "Deepfake Studio: Deploy to Hugging Face", { input: true });
    await answerQuickInput(wb.page, undefined); // the proposed alice/deepfake-detector
    const url = `${hub.url}/spaces/alice/deepfake-detector`;
    await toast(wb.page, `Deployed: ${url}`).waitFor({ timeout: 60_000 });
    timings.deployMs = Date.now() - started;
    await screenshot(wb.page, "09-deployed");
    assert.ok([...hub.repos.keys()].some((key) => key.includes("alice/deepfake-detector")), `repos: ${[...hub.repos.keys()].join(", ")}`);
    assert.ok(!hub.commitBodies.some((body) => body.includes(TOKEN)), "the token never travels in a commit body");
    const log = await outputChannelText(wb.userData);
    assert.ok(!log.includes(TOKEN), "the token never reaches the log");
    assert.ok(!(await fs.readFile(path.join(wb.userData, "User", "settings.json"), "utf8")).includes(TOKEN), "nor the settings");
    assert.ok(!(await listFiles(project())).some((file) => file.endsWith(".json") && readFileSync(file, "utf8").includes(TOKEN)), "nor the workspace");
  });

  it("Predict Image and Import Folder… work from the Explorer context menu", async () => {
    const manifest = await readManifest(dataDir());
    await fs.copyFile(path.join(dataDir(), manifest[0].file), path.join(project(), "probe.jpg"));
    const photos = path.join(project(), "my-photos");
    await fs.mkdir(photos);
    for (const seed of [70, 71]) await fs.writeFile(path.join(photos, `${seed}.jpg`), Buffer.from(await (await fetch(host.photo(seed))).arrayBuffer()));
    await runCommand(wb.page, "View: Show Explorer");
    await explorerContextMenu(wb.page, "probe.jpg", "Predict Image");
    await toast(wb.page, /probe\.jpg: (Deepfake|Real) Tom Cruise \(\d+\.\d%\)/).waitFor({ timeout: 60_000 });
    await screenshot(wb.page, "10-predict");

    await explorerContextMenu(wb.page, "my-photos", "Import Folder…");
    await wb.page.locator(".quick-input-widget .monaco-list-row", { hasText: REAL }).first().click();
    await waitNotification(wb.page, `Imported: ${REAL} +2`, 60_000);
    assert.equal((await readManifest(dataDir())).filter((record) => record.source === "import").length, 2);
  });

  it("Sign Out forgets the stored token", async () => {
    await runCommand(wb.page, "Deepfake Studio: Sign Out");
    // Right after the Explorer tests a toast can land in the notification center instead (seen once in CI): look in both.
    await waitNotification(wb.page, "the stored Hugging Face token was removed", 15_000);
  });

  it("webviews load under their strict CSP without violations", () => {
    const violations = wb.consoleErrors.filter((line) => /Content Security Policy/i.test(line) && /deepfake|vscode-cdn|vscode-resource/i.test(line));
    assert.deepEqual(violations, []);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function assertPending(cleaner: Frame, count: number): Promise<void> {
  await cleaner.locator("#summary", { hasText: `${count} pending` }).waitFor({ timeout: 10_000 });
  await cleaner.locator("#apply", { hasText: `Apply ${count} change` }).waitFor({ timeout: 10_000 });
}

/** Picks a category in the Cleaner's drop-down (a vscode-single-select) with the mouse. */
async function selectCategory(cleaner: Frame, label: string): Promise<void> {
  await cleaner.locator("#category").click();
  await cleaner.locator("#category").locator('li[role="option"]', { hasText: label }).first().click();
  await cleaner.locator(".tile").first().waitFor({ timeout: 10_000 }).catch(() => undefined);
  await waitFor(`category ${label}`, async () => (await cleaner.locator("#grid").getAttribute("aria-label"))?.startsWith(label));
}

describe("VS Code extension in Restricted Mode (code-server e2e)", function () {
  this.timeout(180_000);
  let wb: Workbench | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && wb) {
      await screenshot(wb.page, "failed-restricted-mode").catch(() => undefined);
      await wb.stop({ keep: true });
      wb = undefined;
    }
  });

  after(async () => {
    await wb?.stop();
  });

  it("shows the project read-only: views work, commands that write or run code are refused", async function () {
    this.timeout(300_000);
    ensureCodeServer();
    wb = await startWorkbench({
      env: {},
      untrusted: true,
      vsix: process.env.DEEPFAKE_STUDIO_E2E_VSIX ?? (existsSync(PACKAGED_VSIX) && process.env.DEEPFAKE_STUDIO_E2E_UNPACKED !== "1" ? PACKAGED_VSIX : undefined),
      prepare: async (workspace) => {
        await fs.writeFile(path.join(workspace, "deepfake-studio.json"), `${JSON.stringify({ categories: [{ label: FAKE, search: "x" }, { label: REAL, search: "y" }] }, null, 2)}\n`);
        await fs.mkdir(path.join(workspace, "data", FAKE), { recursive: true });
      },
    });
    await activityBarItem(wb.page).click();
    await wb.page.locator(".monaco-list-row", { hasText: FAKE }).first().waitFor({ timeout: 30_000 });
    const cleaner = await webviewFrame(wb.page, "#status", 30_000);
    await cleaner.locator("#status", { hasText: "Restricted Mode" }).waitFor({ timeout: 15_000 });
    await screenshot(wb.page, "11-restricted-mode");
    await wb.page.keyboard.press("F1");
    const input = wb.page.locator(".quick-input-widget .quick-input-box input");
    await input.fill(">Deepfake Studio: Gather Images");
    await wb.page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: "Deepfake Studio: Show Log" }).first().waitFor({ state: "detached", timeout: 5_000 }).catch(() => undefined);
    const rows = await wb.page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: "Gather Images" }).count();
    assert.equal(rows, 0, "Gather Images is not offered in Restricted Mode");
    await wb.page.keyboard.press("Escape");
    assert.ok(!existsSync(path.join(wb.workspace, "data", "manifest.jsonl")));
  });
});


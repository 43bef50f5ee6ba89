import { strict as assert } from "node:assert";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest } from "../src/core/dataset/manifest";
import { runDemo, type DemoResult } from "../src/core/demo/run-demo";
import type { FaceDatasetItem } from "../src/core/reference-data/build-face-dataset";
import { predict } from "../src/core/predict/predict";
import type { RunMetrics } from "../src/core/train/run-files";
import { startStaticServer } from "./support/static-server";
import { makeTempDir, removeDir, setEnv } from "./support/temp-dir";
import { requireSystem } from "./support/require-system";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

describe("the embedded default (demo), end to end", function () {
  this.timeout(300_000);
  let root: string;
  let restoreEnv: () => void;
  let demo: DemoResult;

  before(async () => {
    root = await makeTempDir("dds-demo-");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: path.join(root, "cache") });
    // Fewer images than `npm run demo` (150 per class) keep CI quick; the journey is the same.
    demo = await runDemo({ projectDir: path.join(root, "demo-project"), perClass: 40, heldOutPerClass: 2, epochs: 3 });
  });
  after(async () => {
    restoreEnv();
    await removeDir(root);
  });

  it("builds the dataset from the package photos, with provenance", async () => {
    const dataDir = path.join(demo.projectDir, "data");
    const manifest = await readManifest(dataDir);
    for (const label of ["Real", "Deepfake"]) {
      const files = (await fs.readdir(path.join(dataDir, label))).filter((file) => file.endsWith(".jpg"));
      assert.equal(files.length, demo.counts[label], label);
      assert.ok(files.length >= 30 && files.length <= 40, `${label}: ${files.length} images kept of 40 generated`);
      assert.equal(manifest.filter((record) => record.label === label).length, files.length);
    }
    assert.ok(manifest.every((record) => record.source === "import" && record.pageUrl?.startsWith("npm:@vladmandic/face-api@") && record.title));
  });

  it("makes the fakes keep the person: self-blends and mirror swaps of the same face, every face as often fake as real", async () => {
    const provenance = JSON.parse(await fs.readFile(path.join(demo.projectDir, "demo-photos", "provenance.json"), "utf8")) as { fakes: string; items: FaceDatasetItem[] };
    assert.equal(provenance.fakes, "same-person");
    const fakes = provenance.items.filter((item) => item.label === "Deepfake");
    const kinds = new Set(fakes.map((item) => item.fake?.kind));
    assert.deepEqual([...kinds].sort(), ["same-person-swap", "self-blend"]);
    for (const item of fakes) {
      // A swap's donor is the same face (mirrored), never another person.
      if (item.donor) assert.deepEqual([item.donor.source, item.donor.faceIndex, item.donor.mirrored], [item.source, item.faceIndex, true]);
    }
    const faces = (label: string) => provenance.items.filter((item) => item.label === label).map((item) => `${item.source}#${item.faceIndex}`).sort();
    assert.deepEqual(faces("Deepfake"), faces("Real"), "identity is no cue: the same faces in both classes");
  });

  it("trains and writes the metrics of every epoch", async () => {
    const metrics = JSON.parse(await fs.readFile(path.join(demo.train.runDir, "metrics.json"), "utf8")) as RunMetrics;
    assert.equal(metrics.epochs.length, 3);
    assert.equal(metrics.errorRate, demo.train.metrics.errorRate);
    assert.ok(metrics.counts.valid.Real > 0 && metrics.counts.valid.Deepfake > 0);
    // Every run scores self-blends of its validation real pictures (the demo knows where their faces are).
    assert.ok(metrics.sameIdentityBlends && metrics.sameIdentityBlends.share !== null && metrics.sameIdentityBlends.scored === 2 * metrics.counts.valid.Real, JSON.stringify(metrics.sameIdentityBlends));
  });

  it("exports an ONNX model that predict uses on the held-out images", async () => {
    assert.ok(existsSync(path.join(demo.exported.outDir, "model.onnx")));
    assert.equal(demo.predictions.length, 4);
    assert.ok(demo.predictions.every((prediction) => prediction.label && !prediction.error && prediction.probability! > 0 && prediction.probability! <= 1));
    assert.deepEqual(demo.predictions.map((prediction) => prediction.expected).sort(), ["Deepfake", "Deepfake", "Real", "Real"]);
    // The closing table says what each held-out picture is: real crops, and same-person fakes.
    for (const prediction of demo.predictions) assert.match(prediction.what, prediction.expected === "Real" ? /^real face crop$/ : /^same-person (self-blend|mirror swap)$/);
    const again = await predict({ modelDir: demo.exported.outDir, inputs: [path.join(demo.projectDir, demo.predictions[0].file)] });
    assert.ok(!("error" in again[0]) && again[0].label === demo.predictions[0].label);
  });

  it("ends with a static Space whose page classifies an example in headless Chromium, like predict", async function () {
    assert.match(demo.deployCommand, /deepfake-studio deploy .*--space /);
    requireSystem(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`, "chromium");
    const spaceDir = demo.space.spaceDir;
    const server = await startStaticServer(spaceDir);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "ready", undefined, { timeout: 60_000 });
      await page.locator("#examples .example").first().click();
      await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "done", undefined, { timeout: 60_000 });
      const shown = await page.textContent("#top-label");
      const manifest = JSON.parse(await fs.readFile(path.join(spaceDir, "space.json"), "utf8")) as { examples: string[] };
      const [expected] = await predict({ modelDir: demo.exported.outDir, inputs: [path.join(spaceDir, manifest.examples[0])] });
      assert.ok(!("error" in expected));
      assert.equal(shown, expected.label);
      await fs.mkdir(path.resolve(__dirname, "..", "..", "test-artifacts"), { recursive: true });
      await page.screenshot({ path: path.resolve(__dirname, "..", "..", "test-artifacts", "demo-space.png"), fullPage: true });
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

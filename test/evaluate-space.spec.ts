/**
 * The static Space page honours an export's decision threshold: createSpace copies preprocess.json's `decision`, and
 * in headless Chromium the page names the fake label for a picture whose fake probability reaches the threshold even
 * though another label is more probable, where the same model without a threshold names the arg-max.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { existsSync, promises as fs } from "node:fs";
import type { Browser } from "playwright-core";
import type { DecisionThreshold } from "../src/core/export/export-format";
import { predict, type Prediction } from "../src/core/predict/predict";
import { createSpace } from "../src/core/space/create-space";
import { makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { startStaticServer } from "./support/static-server";
import { requireSystem } from "./support/require-system";
import { makeTempDir, removeDir } from "./support/temp-dir";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

describe("space: the export's decision threshold", function () {
  this.timeout(300_000);
  let tmp: string;
  let plain: FakeProject;
  let decided: FakeProject;
  let decision: DecisionThreshold;
  let picture: string;
  let browser: Browser | undefined;

  before(async () => {
    requireSystem(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`, "chromium");
    tmp = await makeTempDir("dds-space-decision-");
    plain = await makeFakeProject({ dir: path.join(tmp, "plain") });
    const fakeLabel = plain.labels[0];
    const results = (await predict({ modelDir: plain.exportDir, inputs: [plain.dataDir] })) as Prediction[];
    // The picture the arg-max calls real with the highest fake probability; a threshold below it flips the label.
    const chosen = results.filter((result) => result.label !== fakeLabel).sort((a, b) => b.probabilities[fakeLabel] - a.probabilities[fakeLabel])[0];
    decision = { label: fakeLabel, threshold: Number((chosen.probabilities[fakeLabel] / 2).toFixed(6)), method: "given" };
    decided = await makeFakeProject({ dir: path.join(tmp, "decided"), decision });
    picture = path.relative(plain.dataDir, chosen.file);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await removeDir(tmp);
  });

  /** Classifies the picture on the project's static Space; returns the label shown, the most probable bar and the texts. */
  async function classifyOnSpace(project: FakeProject) {
    const { spaceDir } = await createSpace({ projectDir: project.projectDir, git: false });
    const server = await startStaticServer(spaceDir);
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => ["ready", "error"].includes(document.getElementById("app")?.dataset.state ?? ""), undefined, { timeout: 60_000 });
      assert.equal(await page.getAttribute("#app", "data-state"), "ready", (await page.textContent("#status")) ?? "");
      await page.setInputFiles("#file-input", path.join(project.dataDir, picture));
      await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "done", undefined, { timeout: 30_000 });
      const firstBar = await page.$eval("#bars li .bar-label", (label) => label.textContent);
      assert.deepEqual(problems, []);
      return { spaceDir, top: await page.textContent("#top-label"), firstBar, status: await page.textContent("#status"), facts: await page.textContent("#model-facts") };
    } finally {
      await context.close();
      await server.close();
    }
  }

  it("names the fake label once its probability reaches the threshold, and the arg-max without one", async () => {
    const [fakeLabel, realLabel] = plain.labels;
    const withThreshold = await classifyOnSpace(decided);
    const spacePreprocess = JSON.parse(await fs.readFile(path.join(withThreshold.spaceDir, "preprocess.json"), "utf8"));
    assert.deepEqual(spacePreprocess.decision, decision, "createSpace copies the decision threshold");
    assert.equal(withThreshold.top, fakeLabel);
    assert.equal(withThreshold.firstBar, realLabel, "the bars still show the probabilities, most likely first");
    assert.match(withThreshold.status ?? "", /^Decision \(at .* "Deepfake Tom Cruise" or more\):$/);
    assert.match(withThreshold.facts ?? "", /decision threshold/);

    const without = await classifyOnSpace(plain);
    assert.equal(without.top, realLabel);
    assert.equal(without.status, "Most likely:");
  });
});

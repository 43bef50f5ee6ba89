/**
 * A new user's first steps (issue 12): "can Train succeed?" asked before offering Train, core hints that each front
 * end phrases with its own commands (no CLI command in a VS Code message), and the Space page's percentages.
 */
import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { trainReadiness } from "../src/core/dataset/train-readiness";
import { findRun } from "../src/core/export/find-run";
import { loadProjectConfig, parseProjectConfig } from "../src/core/project/project-config";
import { StudioError } from "../src/core/shared/errors";
import { prepareTrainingData } from "../src/core/train/prepare-training-data";
import { hintCommands, hintForVsCode, readHintParts } from "../src/extension/next-steps";
import { makeTempDir, removeDir } from "./support/temp-dir";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const FAKE = "Deepfake Tom Cruise";
const REAL = "Real Tom Cruise";

describe("first steps: what to offer next, in the words of each front end", () => {
  let tmp: string;
  before(async () => {
    tmp = await makeTempDir("dds-first-steps-");
  });
  after(async () => {
    await removeDir(tmp);
  });

  describe("trainReadiness", () => {
    const labels = [FAKE, REAL];
    it("is not ready with one category filled, and names the empty one", () => {
      const readiness = trainReadiness({ labels, counts: { [FAKE]: 12, [REAL]: 0 }, validPct: 0.2 });
      assert.equal(readiness.ready, false);
      if (readiness.ready) return;
      assert.deepEqual(readiness.needs, [{ label: REAL, have: 0, more: 2 }]);
      assert.match(readiness.reason, /"Real Tom Cruise" has no images yet/);
    });

    it("is not ready while a category has fewer than two, or the split would hold no validation image", () => {
      const one = trainReadiness({ labels, counts: { [FAKE]: 12, [REAL]: 1 }, validPct: 0.2 });
      assert.equal(one.ready, false);
      assert.deepEqual(!one.ready && one.needs, [{ label: REAL, have: 1, more: 1 }]);
      const tiny = trainReadiness({ labels, counts: { [FAKE]: 2, [REAL]: 2 }, validPct: 0.2 });
      assert.equal(tiny.ready, false);
      assert.match(!tiny.ready ? tiny.reason : "", /none for validation at 20 %: training needs at least 5 in all/);
    });

    it("is ready with two categories of enough pictures, as training itself agrees", async () => {
      assert.deepEqual(trainReadiness({ labels, counts: { [FAKE]: 3, [REAL]: 2 }, validPct: 0.2 }), { ready: true });
      // The rule is training's: the same counts that are "not ready" make training refuse before loading anything.
      const projectDir = path.join(tmp, "one-category");
      const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#808080" } }).jpeg().toBuffer();
      await fs.mkdir(path.join(projectDir, "data", FAKE), { recursive: true });
      for (let i = 0; i < 3; i++) await fs.writeFile(path.join(projectDir, "data", FAKE, `f${i}.jpg`), jpeg);
      const config = parseProjectConfig({ categories: labels.map((label) => ({ label })) });
      assert.equal(trainReadiness({ labels, counts: { [FAKE]: 3, [REAL]: 0 }, validPct: config.train.validPct }).ready, false);
      const error = await prepareTrainingData({ projectDir, config, backbone: "no-such-backbone" }).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof StudioError && error.code === "too-few-categories", String(error));
    });
  });

  describe("hints with next steps", () => {
    it("training's too-few-categories hint: the CLI's command for the CLI, VS Code's commands (and buttons) for VS Code", async () => {
      const projectDir = path.join(tmp, "hint");
      const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#404040" } }).jpeg().toBuffer();
      await fs.mkdir(path.join(projectDir, "data", FAKE), { recursive: true });
      for (let i = 0; i < 3; i++) await fs.writeFile(path.join(projectDir, "data", FAKE, `f${i}.jpg`), jpeg);
      const config = parseProjectConfig({ categories: [{ label: FAKE }, { label: REAL }] });
      const error = (await prepareTrainingData({ projectDir, config, backbone: "no-such-backbone" }).catch((caught: unknown) => caught)) as StudioError;
      assert.match(error.hint ?? "", /`deepfake-studio gather` or `deepfake-studio import <folder> --label "Real Tom Cruise"`/);
      const parts = readHintParts(error.hintParts);
      assert.ok(parts, "the error carries its hint's parts");
      const vscodeText = hintForVsCode(parts);
      assert.match(vscodeText, /^Add images with “Deepfake Studio: Gather Images” or “Deepfake Studio: Import Folder…” \(category “Real Tom Cruise”\) \(folders: /);
      assert.doesNotMatch(vscodeText, /deepfake-studio |--label/);
      assert.deepEqual(hintCommands(parts).map((command) => [command.title, command.command, command.args]), [
        ["Gather Images", "deepfakeStudio.gather", undefined],
        ["Import Folder…", "deepfakeStudio.importFolder", [undefined, undefined, REAL]],
      ]);
    });

    it("CLI-only remarks (flags) are left out in VS Code, and the sentence still reads", async () => {
      const empty = path.join(tmp, "no-project");
      await fs.mkdir(empty, { recursive: true });
      const noConfig = (await loadProjectConfig(empty).catch((caught: unknown) => caught)) as StudioError;
      assert.equal(noConfig.hint, "Run `deepfake-studio init` there first (or pass --project <folder>).");
      assert.equal(hintForVsCode(readHintParts(noConfig.hintParts)!), "Run “Deepfake Studio: New Project” there first.");
      const noRun = (await findRun({ projectDir: empty }).catch((caught: unknown) => caught)) as StudioError;
      assert.equal(noRun.hint, "Run `deepfake-studio train` first, then export.");
      assert.equal(hintForVsCode(readHintParts(noRun.hintParts)!), "Run “Deepfake Studio: Train” first, then export.");
    });

    it("ignores malformed parts from an error it did not build", () => {
      assert.equal(readHintParts([{ step: "rm -rf" }]), undefined);
      assert.equal(readHintParts([{ step: "gather", label: "x" }]), undefined);
      assert.equal(readHintParts("Run it"), undefined);
      assert.deepEqual(readHintParts(["Run ", { step: "train" }]), ["Run ", { step: "train" }]);
    });
  });

  describe("the Space page's percentages", () => {
    let formatPercent: (probability: number) => string;
    before(async () => {
      // The page's module, as the browser loads it (copied to .mjs: this package is CommonJS).
      const copy = path.join(tmp, "format-percent.mjs");
      await fs.copyFile(path.join(REPO_ROOT, "templates", "static", "format-percent.js"), copy);
      // A real ESM import: TypeScript would turn `import()` into require() in this CommonJS build.
      const importEsm = new Function("url", "return import(url)") as (url: string) => Promise<{ formatPercent: (probability: number) => string }>;
      ({ formatPercent } = await importEsm(pathToFileURL(copy).href));
    });

    it("writes every bar with one decimal, so 99.5 % stands beside 0.5 % (not 100 %)", () => {
      assert.deepEqual([0.995, 0.005].map(formatPercent), ["99.5%", "0.5%"]);
      assert.deepEqual([0.5, 0.123, 0.0999].map(formatPercent), ["50.0%", "12.3%", "10.0%"]);
    });

    it("never shows 100 % or 0 % for a probability that is not exactly 1 or 0", () => {
      assert.deepEqual([1, 0].map(formatPercent), ["100%", "0%"]);
      assert.deepEqual([0.99996, 0.00004].map(formatPercent), [">99.9%", "<0.1%"]);
      assert.deepEqual([0.9994, 0.0006].map(formatPercent), ["99.9%", "0.1%"]);
    });
  });
});

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
import { HubApiError } from "@huggingface/hub";
import { downloadModel } from "../src/core/backbone/download-model";
import { describeHubError } from "../src/core/hub/describe-hub-error";
import { setTrainSetting } from "../src/core/project/set-train-setting";
import { planSpaceDeploy } from "../src/core/space/plan-space-deploy";
import { train } from "../src/core/train/train";
import { hintCommands, hintForVsCode, partsOfTextHint, readHintParts } from "../src/extension/next-steps";
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

    /** What VS Code makes of a core error: its text and its buttons (title, command, arguments). */
    function inVsCode(error: StudioError): { text: string; buttons: unknown[][] } {
      const parts = readHintParts(error.hintParts) ?? partsOfTextHint(error.hint ?? "");
      assert.ok(parts, `the hint of ${error.code} names a step: ${error.hint}`);
      return { text: hintForVsCode(parts), buttons: hintCommands(parts).map((command) => [command.title, command.command, command.args]) };
    }

    it("a backbone that cannot be downloaded: VS Code offers Use Offline Backbone, the CLI keeps its commands", async () => {
      const error = (await downloadModel({ url: "http://127.0.0.1:9/model.json", cacheDir: path.join(tmp, "cache"), env: {} }).catch((caught: unknown) => caught)) as StudioError;
      assert.equal(error.code, "backbone-unavailable", String(error));
      assert.match(error.hint ?? "", /^Offline\? Run `deepfake-studio backbone --offline` \(the MobileNetV2 bundled with nsfwjs\) and then use `--backbone nsfwjs-mobilenet_v2`, or pass `--backbone <path>` to a tfjs model.json/);
      const { text, buttons } = inVsCode(error);
      assert.match(text, /^Offline\? Run “Deepfake Studio: Use Offline Backbone”: it switches the project to the MobileNetV2 bundled with nsfwjs; or set train\.backbone in deepfake-studio\.json to a tfjs model\.json/);
      assert.doesNotMatch(text, /deepfake-studio |--backbone/);
      assert.deepEqual(buttons, [["Use Offline Backbone", "deepfakeStudio.useOfflineBackbone", undefined]]);
    });

    it("a learning rate out of range: VS Code offers Find Learning Rate (from a hint that is plain text)", async () => {
      const config = parseProjectConfig({ categories: [{ label: FAKE }, { label: REAL }] });
      const error = (await train({ projectDir: path.join(tmp, "lr"), config, learningRate: 50 }).catch((caught: unknown) => caught)) as StudioError;
      assert.equal(error.hint, "Run `deepfake-studio train --lr-find` for a suggestion.");
      assert.deepEqual(inVsCode(error), { text: "Run “Deepfake Studio: Find Learning Rate” for a suggestion.", buttons: [["Find Learning Rate", "deepfakeStudio.findLearningRate", undefined]] });
      // Only a step's exact command line is taken: other quoted commands stay as they are.
      assert.equal(partsOfTextHint("Run `deepfake-studio evaluate <folder>` first."), undefined);
    });

    it("hub errors: a 402 offers a static Space, a foreign owner the user's own name, a bad token Set Hugging Face Token", () => {
      const hub = (status: number) => new HubApiError("https://huggingface.co/api/repos/create", status, "req-1", `Api error with status ${status}`);
      const payment = describeHubError(hub(402), { action: "create", repo: "alice/detector", sdk: "gradio" }) as StudioError;
      assert.match(payment.hint ?? "", /`deepfake-studio deploy --space alice\/detector --sdk static`/);
      assert.deepEqual(inVsCode(payment), {
        text: "Gradio and Docker Spaces need a paid plan for new Spaces; static Spaces are free: “Deepfake Studio: Deploy to Hugging Face” as a static Space to alice/detector (the model then runs in the visitor's browser).",
        buttons: [["Deploy as Static Space", "deepfakeStudio.deploy", [{ sdk: "static", repo: "alice/detector" }]]],
      });
      const token = describeHubError(hub(401), { action: "check-token" }) as StudioError;
      assert.match(token.hint ?? "", /then set HF_TOKEN to it \(or run `huggingface-cli login`\) and try again\.$/);
      assert.deepEqual(inVsCode(token), {
        text: "Create a token with write access at https://huggingface.co/settings/tokens, then store it with “Deepfake Studio: Set Hugging Face Token” and try again.",
        buttons: [["Set Hugging Face Token", "deepfakeStudio.setToken", undefined]],
      });
      const forbidden = inVsCode(describeHubError(hub(403), { action: "create", repo: "acme/detector" }) as StudioError);
      assert.match(forbidden.text, /^Use your own user name or an organisation where you may write as the owner of the Space, or create a token with the "write" role/);
      assert.doesNotMatch(forbidden.text, /--space|HF_TOKEN/);
    });

    it("Create Space and Deploy buttons carry the kind of Space and the name; malformed ones are refused", () => {
      assert.deepEqual(hintCommands([{ step: "space", sdk: "gradio" }, { step: "deploy", sdk: "static" }, { step: "deploy" }]).map((command) => [command.title, command.args]), [
        ["Create Gradio Space", [{ sdk: "gradio" }]],
        ["Deploy as Static Space", [{ sdk: "static", repo: undefined }]],
        ["Deploy to Hugging Face", undefined],
      ]);
      assert.equal(readHintParts([{ step: "deploy", sdk: "docker" }]), undefined);
      assert.equal(readHintParts([{ step: "deploy", repo: "a/b/../c" }]), undefined);
      assert.equal(readHintParts([{ step: "space", repo: "a/b" }]), undefined);
      assert.equal(readHintParts([{ editorOnly: "x", step: "train" }]), undefined);
      assert.deepEqual(readHintParts([{ editorOnly: "Run " }, { step: "set-token" }]), [{ editorOnly: "Run " }, { step: "set-token" }]);
    });

    it("ignores malformed parts from an error it did not build", () => {
      assert.equal(readHintParts([{ step: "rm -rf" }]), undefined);
      assert.equal(readHintParts([{ step: "gather", label: "x" }]), undefined);
      assert.equal(readHintParts("Run it"), undefined);
      assert.deepEqual(readHintParts(["Run ", { step: "train" }]), ["Run ", { step: "train" }]);
    });
  });

  describe("what Deploy writes first (the CLI and VS Code follow the same plan)", () => {
    async function spaceFolder(name: string, readmeSdk: string | undefined, manifest?: Record<string, unknown>): Promise<string> {
      const dir = path.join(tmp, "plans", name);
      await fs.mkdir(dir, { recursive: true });
      if (readmeSdk) await fs.writeFile(path.join(dir, "README.md"), `---\ntitle: x\nsdk: ${readmeSdk}\n---\n# x\n`);
      if (manifest) await fs.writeFile(path.join(dir, "space.json"), JSON.stringify({ generator: "deepfake-studio", format: 1, files: [], ...manifest }));
      return dir;
    }

    it("writes a missing folder, completes an unfinished one, rewrites one of another kind, and leaves a ready one", async () => {
      assert.deepEqual(await planSpaceDeploy({ spaceDir: path.join(tmp, "plans", "none"), defaultSdk: "gradio" }), { sdk: "gradio", rewrite: "missing", reason: `There is no Space folder at ${path.join(tmp, "plans", "none")} yet; writing it.` });
      const unfinished = await spaceFolder("unfinished", undefined, { sdk: "static", unfinished: true });
      const plan = await planSpaceDeploy({ spaceDir: unfinished, defaultSdk: "gradio" });
      assert.equal(plan.rewrite, "unfinished");
      assert.equal(plan.sdk, "static", "the kind the interrupted run was writing");
      // Interrupted after README.md was written: still unfinished.
      assert.equal((await planSpaceDeploy({ spaceDir: await spaceFolder("unfinished-readme", "static", { sdk: "static", unfinished: true }) })).rewrite, "unfinished");
      const ready = await spaceFolder("ready", "static", { sdk: "static" });
      assert.deepEqual(await planSpaceDeploy({ spaceDir: ready, defaultSdk: "gradio" }), { sdk: "static" }, "the folder's own kind wins over the default");
      assert.deepEqual(await planSpaceDeploy({ spaceDir: ready, sdk: "gradio" }), { sdk: "gradio", rewrite: "other-sdk", reason: "The Space folder is a static Space; rewriting it as a gradio Space." });
    });
  });

  describe("setTrainSetting (Use Offline Backbone, Find Learning Rate)", () => {
    it("sets one train field and keeps the rest of the file as written; refuses a value the project file would reject", async () => {
      const projectDir = path.join(tmp, "settable");
      await fs.mkdir(projectDir, { recursive: true });
      const file = path.join(projectDir, "deepfake-studio.json");
      const raw = { categories: [{ label: FAKE, search: "deepfake" }, { label: REAL }], maxImages: 7, train: { epochs: 3 } };
      await fs.writeFile(file, JSON.stringify(raw));
      const config = await setTrainSetting({ projectDir, field: "backbone", value: "nsfwjs-mobilenet_v2" });
      assert.equal(config.train.backbone, "nsfwjs-mobilenet_v2");
      assert.deepEqual(JSON.parse(await fs.readFile(file, "utf8")), { ...raw, train: { epochs: 3, backbone: "nsfwjs-mobilenet_v2" } });
      const before = await fs.readFile(file, "utf8");
      await assert.rejects(setTrainSetting({ projectDir, field: "learningRate", value: 50 }), (error: unknown) => error instanceof StudioError && error.code === "config-invalid");
      assert.equal(await fs.readFile(file, "utf8"), before, "nothing written");
      assert.equal((await setTrainSetting({ projectDir, field: "learningRate", value: 0.004 })).train.learningRate, 0.004);
      assert.deepEqual(await fs.readdir(projectDir), ["deepfake-studio.json"], "no temp file left");
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

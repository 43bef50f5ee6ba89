/**
 * `export --threshold` and `export --max-fpr` on a real run (test/fixtures/fake-run.ts, offline backbone): the
 * threshold lands in preprocess.json and model.onnx, the model card states it and how it was chosen, predict's label
 * for a picture follows it, and --max-fpr takes the threshold off the last evaluation of the same run only.
 */
import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Evaluation } from "../src/core/evaluate/evaluation-types";
import { loadExport } from "../src/core/predict/load-export";
import type { Prediction } from "../src/core/predict/predict";
import { initProject } from "../src/core/project/project-config";
import { labelToFolderName } from "../src/core/shared/labels";
import { trainFakeRun, writeFakeRun, type FakeRun } from "./fixtures/fake-run";
import { runCli } from "./support/run-cli";
import { makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const RUN_ID = "2025-01-01T00-00-00Z";


describe("export with a decision threshold", function () {
  this.timeout(600_000);
  let tmp: string;
  let projectDir: string;
  let run: FakeRun;
  let restoreEnv: () => void;
  const exportDir = () => path.join(projectDir, "export");

  async function exportWith(...args: string[]): Promise<void> {
    const { code, stderr } = await runCli(["--project", projectDir, "export", ...args]);
    assert.equal(code, 0, stderr);
  }

  async function predictAll(files: string[]): Promise<Prediction[]> {
    const { code, stdout, stderr } = await runCli(["--project", projectDir, "predict", ...files, "--json"]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as Prediction[];
  }
  const predictOne = async (file: string): Promise<Prediction> => (await predictAll([file]))[0];

  before(async () => {
    tmp = await makeTempDir("dds-export-threshold-");
    const cacheDir = path.join(tmp, "cache");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: cacheDir, DEEPFAKE_STUDIO_BACKBONE: undefined });
    projectDir = path.join(tmp, "project");
    await initProject({ projectDir });
    run = await trainFakeRun({ dataDir: path.join(projectDir, "data"), cacheDir, runId: RUN_ID });
    await writeFakeRun({ projectDir, run });
    await exportWith();
  });

  after(async () => {
    restoreEnv();
    await removeDir(tmp);
  });

  it("changes predict's label for a picture whose fake probability lies between two thresholds", async () => {
    const fakeLabel = run.head.labels[0];
    assert.match(fakeLabel, /fake/i);
    const scored = await predictAll(run.images.map((image) => image.path));
    // The picture whose fake probability is nearest the middle: room for a threshold on each side.
    const picture = scored.sort((a, b) => Math.abs(a.probabilities[fakeLabel] - 0.5) - Math.abs(b.probabilities[fakeLabel] - 0.5))[0];
    const p = picture.probabilities[fakeLabel];
    assert.equal(picture.threshold, undefined);
    const below = Number((p / 2).toFixed(6));
    const above = Number(((p + 1) / 2).toFixed(6));

    await exportWith("--threshold", String(below));
    const low = await predictOne(picture.file);
    assert.equal(low.label, fakeLabel);
    assert.deepEqual(low.threshold, { label: fakeLabel, value: below });
    const preprocess = JSON.parse(await fs.readFile(path.join(exportDir(), "preprocess.json"), "utf8"));
    assert.deepEqual(preprocess.decision, { label: fakeLabel, threshold: below, method: "given" });
    assert.deepEqual((await loadExport({ modelDir: exportDir() })).decision, preprocess.decision, "model.onnx records the same");
    const card = await fs.readFile(path.join(exportDir(), "README.md"), "utf8");
    assert.match(card, new RegExp(`## Decision threshold\\n\\nA picture is labelled "${fakeLabel}" when that probability is at least \\*\\*${below.toFixed(4)}\\*\\*`));
    assert.match(card, /set by hand \(`export --threshold`\)/);

    await exportWith("--threshold", String(above));
    const high = await predictOne(picture.file);
    assert.equal(high.label, run.head.labels[1]);
    assert.ok(Math.abs(high.probabilities[fakeLabel] - p) < 1e-6, "the same model");

    await exportWith();
    assert.equal((await loadExport({ modelDir: exportDir() })).decision, undefined, "without it, no threshold: the arg-max again");
    assert.match(await fs.readFile(path.join(exportDir(), "README.md"), "utf8"), /## Decision threshold\n\nNone recorded/);
  });

  it("--max-fpr records the threshold of the last evaluation of this run, and the model card says how it was chosen", async () => {
    const heldOut = path.join(tmp, "held-out");
    for (const image of run.images) {
      const folder = path.join(heldOut, labelToFolderName(image.label));
      await fs.mkdir(folder, { recursive: true });
      await fs.copyFile(image.path, path.join(folder, path.basename(image.path)));
    }
    const evaluated = await runCli(["--project", projectDir, "evaluate", heldOut, "--max-fpr", "0.1", "--resamples", "200"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const [name] = await fs.readdir(path.join(projectDir, "evaluation"));
    const evaluation = JSON.parse(await fs.readFile(path.join(projectDir, "evaluation", name, "evaluation.json"), "utf8")) as Evaluation;
    assert.equal(evaluation.model.runId, RUN_ID);

    await exportWith("--max-fpr", "0.1");
    const decision = (await loadExport({ modelDir: exportDir() })).decision;
    assert.ok(decision);
    assert.equal(decision.method, "max-fpr");
    assert.ok(evaluation.atMaxFpr);
    assert.equal(decision.threshold, evaluation.atMaxFpr.threshold);
    assert.equal(decision.maxFpr, 0.1);
    assert.deepEqual(decision.evaluation, { name, createdAt: evaluation.createdAt, pictures: evaluation.pictures.length, fpr: evaluation.atMaxFpr.fpr, tpr: evaluation.atMaxFpr.tpr });
    const card = await fs.readFile(path.join(exportDir(), "README.md"), "utf8");
    assert.match(card, new RegExp(`chosen for a false-positive rate of at most 10\\.0% on the evaluation \`${name}\` of ${evaluation.pictures.length} held-out pictures`));

    // An evaluation of another run says nothing about this one.
    const other = path.join(tmp, "other-evaluation");
    await fs.mkdir(other);
    await fs.writeFile(path.join(other, "evaluation.json"), JSON.stringify({ ...evaluation, model: { ...evaluation.model, runId: "2024-01-01T00-00-00Z" } }));
    const refused = await runCli(["--project", projectDir, "export", "--max-fpr", "0.1", "--evaluation", other]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /scored run 2024-01-01T00-00-00Z, not run 2025-01-01T00-00-00Z/);
    assert.equal((await loadExport({ modelDir: exportDir() })).decision?.threshold, decision.threshold, "the export is unchanged");
  });

  it("--max-fpr can be set on real pictures alone (footage of the person from another occasion), and the card says no fakes were given", async () => {
    const realLabel = run.head.labels[1];
    const realOnly = path.join(tmp, "real-only", labelToFolderName(realLabel));
    await fs.mkdir(realOnly, { recursive: true });
    const reals = run.images.filter((image) => image.label === realLabel);
    for (const image of reals) await fs.copyFile(image.path, path.join(realOnly, path.basename(image.path)));
    const out = path.join(projectDir, "evaluation", "real-only");
    const evaluated = await runCli(["--project", projectDir, "evaluate", path.dirname(realOnly), "--max-fpr", "0.25", "-o", out]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /ROC AUC\s+– \(needs fake and real pictures\)/);
    assert.match(evaluated.stdout, /Only real pictures/);
    const evaluation = JSON.parse(await fs.readFile(path.join(out, "evaluation.json"), "utf8")) as Evaluation;
    assert.equal(evaluation.counts.fake, 0);
    assert.equal(evaluation.counts.real, reals.length);
    assert.equal(evaluation.auc, null);
    assert.ok(evaluation.atMaxFpr);
    assert.equal(evaluation.atMaxFpr.tpr, null);
    const flagged = evaluation.pictures.filter((picture) => picture.probability >= evaluation.atMaxFpr!.threshold).length;
    assert.equal(evaluation.atMaxFpr.falsePositives, flagged);
    assert.ok(flagged / reals.length <= 0.25);
    await assert.rejects(fs.stat(path.join(out, "roc.svg")), "no ROC curve from one class");
    assert.match(await fs.readFile(path.join(out, "report.md"), "utf8"), /\| ROC AUC \| – \(needs both fake and real pictures\) \|/);

    await exportWith("--max-fpr", "0.25", "--evaluation", out);
    const decision = (await loadExport({ modelDir: exportDir() })).decision;
    assert.equal(decision?.threshold, evaluation.atMaxFpr.threshold);
    assert.deepEqual(decision?.evaluation, { name: "real-only", createdAt: evaluation.createdAt, pictures: reals.length, fpr: evaluation.atMaxFpr.fpr });
    const card = await fs.readFile(path.join(exportDir(), "README.md"), "utf8");
    assert.match(card, /no fakes were given, so the share of fakes it catches was not measured there/);
    // The real pictures are now decided by it: no more of them flagged than the evaluation said.
    const predicted = await predictAll(reals.map((image) => image.path));
    assert.equal(predicted.filter((prediction) => prediction.label !== realLabel).length, flagged);

    // Fakes alone measure the share caught, but no false-positive rate: export says what is missing and changes nothing.
    const fakeLabel = run.head.labels[0];
    const fakeOnly = path.join(tmp, "fake-only", labelToFolderName(fakeLabel));
    await fs.mkdir(fakeOnly, { recursive: true });
    for (const image of run.images.filter((candidate) => candidate.label === fakeLabel)) await fs.copyFile(image.path, path.join(fakeOnly, path.basename(image.path)));
    const fakesOut = path.join(tmp, "fake-only-evaluation");
    const fakes = await runCli(["--project", projectDir, "evaluate", path.dirname(fakeOnly), "-o", fakesOut]);
    assert.equal(fakes.code, 0, fakes.stderr);
    assert.match(fakes.stdout, /threshold for a false-positive rate\s+– \(needs real pictures\)/);
    assert.equal((JSON.parse(await fs.readFile(path.join(fakesOut, "evaluation.json"), "utf8")) as Evaluation).atMaxFpr, null);
    const refused = await runCli(["--project", projectDir, "export", "--max-fpr", "0.05", "--evaluation", fakesOut]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /needs real pictures; there are \d+ fake and none real/);
    assert.equal((await loadExport({ modelDir: exportDir() })).decision?.threshold, evaluation.atMaxFpr.threshold, "the export is unchanged");
  });

  it("refuses a threshold outside 0-1 and both options at once, leaving the export as it was", async () => {
    const before = await fs.readFile(path.join(exportDir(), "preprocess.json"), "utf8");
    const outside = await runCli(["--project", projectDir, "export", "--threshold", "1.5"]);
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /The threshold must be a probability between 0 and 1, got 1\.5/);
    const both = await runCli(["--project", projectDir, "export", "--threshold", "0.5", "--max-fpr", "0.05"]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /either --threshold or --max-fpr/);
    assert.equal(await fs.readFile(path.join(exportDir(), "preprocess.json"), "utf8"), before);
  });
});
